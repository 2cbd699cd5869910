package io.editstream.processor.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Raw settings from a properties file and the environment, with typed, validated accessors. Order
 * of precedence: environment variable, then the file, then the default. Any key starting with
 * {@code kafka.} passes through to the Kafka clients, and {@code schema.registry.} to the registry
 * client (SASL/SSL and registry auth need that).
 */
public final class Settings {

  public static final List<Setting> ALL =
      withProviderQuotas(
          List.of(
              new Setting(
                  "kafka.bootstrap.servers",
                  "KAFKA_BOOTSTRAP_SERVERS",
                  "localhost:9092",
                  false,
                  "Kafka brokers to connect to."),
              new Setting(
                  "schema.registry.url",
                  "SCHEMA_REGISTRY_URL",
                  "http://localhost:8081",
                  false,
                  "Confluent-compatible schema registry URL(s), comma-separated."),
              new Setting(
                  "gemini.api.key",
                  "GEMINI_API_KEY",
                  null,
                  true,
                  "API key for the Gemini API. Never logged."),
              new Setting(
                  "gemini.api.key.file",
                  "GEMINI_API_KEY_FILE",
                  null,
                  false,
                  "File holding the API key (first line), instead of gemini.api.key."),
              new Setting(
                  "gemini.base.url",
                  "GEMINI_BASE_URL",
                  null,
                  false,
                  "Base URL of the model API; unset calls Google (generativelanguage.googleapis.com)."),
              new Setting(
                  "model.providers",
                  Setting.envOf("model.providers"),
                  "ai-studio",
                  false,
                  "Providers in failover order, from ai-studio, vertex, wavespeed. Each has its own"
                      + " quota pool (provider.<name>.quota.*); a job goes to the first whose pool"
                      + " admits it and whose circuit is not open. A job may pin one with the"
                      + " attribute editstream.provider."),
              new Setting(
                  "vertex.project",
                  "GOOGLE_CLOUD_PROJECT",
                  null,
                  false,
                  "Google Cloud project of the Vertex AI provider (required when vertex is listed)."),
              new Setting(
                  "vertex.location",
                  Setting.envOf("vertex.location"),
                  "global",
                  false,
                  "Vertex AI location, e.g. global or us-central1."),
              new Setting(
                  "vertex.credentials.file",
                  "GOOGLE_APPLICATION_CREDENTIALS",
                  null,
                  false,
                  "Service-account JSON for Vertex AI; unset uses application-default credentials."),
              new Setting(
                  "vertex.base.url",
                  Setting.envOf("vertex.base.url"),
                  null,
                  false,
                  "Base URL of the Vertex AI API; unset calls Google."),
              new Setting(
                  "wavespeed.api.key",
                  "WAVESPEED_API_KEY",
                  null,
                  true,
                  "API key of WaveSpeedAI (required when wavespeed is listed). Never logged."),
              new Setting(
                  "wavespeed.base.url",
                  Setting.envOf("wavespeed.base.url"),
                  "https://api.wavespeed.ai",
                  false,
                  "Base URL of the WaveSpeedAI API."),
              new Setting(
                  "wavespeed.model.path",
                  Setting.envOf("wavespeed.model.path"),
                  "google/nano-banana-2/edit",
                  false,
                  "WaveSpeedAI model path of the edit endpoint."),
              new Setting(
                  "wavespeed.poll.initial.ms",
                  Setting.envOf("wavespeed.poll.initial.ms"),
                  "500",
                  false,
                  "First wait before polling a WaveSpeedAI prediction; grows x1.5 per poll."),
              new Setting(
                  "wavespeed.poll.max.ms",
                  Setting.envOf("wavespeed.poll.max.ms"),
                  "2000",
                  false,
                  "Longest wait between two polls of a WaveSpeedAI prediction."),
              new Setting(
                  "provider.failover.retry.delay.ms",
                  Setting.envOf("provider.failover.retry.delay.ms"),
                  "10000",
                  false,
                  "A 429 asking to wait longer than this marks the provider exhausted: calls fail over to"
                      + " the next provider until then."),
              new Setting(
                  "provider.circuit.failures",
                  Setting.envOf("provider.circuit.failures"),
                  "5",
                  false,
                  "Consecutive failures (5xx, connection, auth) that open a provider's circuit."),
              new Setting(
                  "provider.circuit.cooldown.ms",
                  Setting.envOf("provider.circuit.cooldown.ms"),
                  "30000",
                  false,
                  "How long an open circuit waits before one probe call."),
              new Setting(
                  "price.wavespeed.per.image",
                  Setting.envOf("price.wavespeed.per.image"),
                  "0",
                  false,
                  "USD per WaveSpeedAI edit, for estimatedCostUsd (check WaveSpeedAI's price list)."),
              new Setting(
                  "model.default",
                  Setting.envOf("model.default"),
                  "gemini-3.1-flash-image-preview",
                  false,
                  "Model used when a job names none: a model id or an alias. Aliases are keys"
                      + " model.alias.<name>=<model id> in the config file (e.g."
                      + " model.alias.nano-banana-2=gemini-3.1-flash-image); a job's model may name"
                      + " one, and an alias may carry a retired id's name"
                      + " (model.alias.gemini-3.1-flash-image-preview=gemini-3.1-flash-image)."),
              new Setting(
                  "model.timeout.ms",
                  Setting.envOf("model.timeout.ms"),
                  "120000",
                  false,
                  "Timeout of one model call."),
              new Setting(
                  "model.max.in.flight",
                  Setting.envOf("model.max.in.flight"),
                  "64",
                  false,
                  "Model calls in flight per instance, at most."),
              new Setting(
                  "retry.max.attempts",
                  Setting.envOf("retry.max.attempts"),
                  "5",
                  false,
                  "Model calls per job, at most, before a retryable error becomes a failure event."),
              new Setting(
                  "retry.backoff.initial.ms",
                  Setting.envOf("retry.backoff.initial.ms"),
                  "1000",
                  false,
                  "First retry backoff cap; doubles per attempt, with full jitter."),
              new Setting(
                  "retry.backoff.max.ms",
                  Setting.envOf("retry.backoff.max.ms"),
                  "60000",
                  false,
                  "Largest backoff between attempts (a longer server retryDelay is still honoured)."),
              new Setting(
                  "topic.prefix",
                  Setting.envOf("topic.prefix"),
                  "",
                  false,
                  "Prefix added to every topic name below, e.g. 'prod.'."),
              new Setting(
                  "topic.jobs",
                  Setting.envOf("topic.jobs"),
                  "edit-jobs",
                  false,
                  "Input topic of EditJob."),
              new Setting(
                  "topic.results",
                  Setting.envOf("topic.results"),
                  "edit-results",
                  false,
                  "Output topic of EditResult."),
              new Setting(
                  "topic.failures",
                  Setting.envOf("topic.failures"),
                  "edit-failures",
                  false,
                  "Output topic of EditFailure."),
              new Setting(
                  "topic.dlq",
                  Setting.envOf("topic.dlq"),
                  "edit-jobs-dlq",
                  false,
                  "Records that cannot be decoded, with headers saying why."),
              new Setting(
                  "topic.cancel",
                  Setting.envOf("topic.cancel"),
                  "edit-jobs-cancel",
                  false,
                  "CancelRequest records keyed by jobId (editstream cancel); must have as many"
                      + " partitions as the jobs topic."),
              new Setting(
                  "topic.holds",
                  Setting.envOf("topic.holds"),
                  "edit-tenant-holds",
                  false,
                  "Compacted topic of TenantHold records keyed by tenant: which tenants are held after"
                      + " safety strikes (written by the processor and by editstream tenant"
                      + " release; every instance reads all of it). Created with 1 partition when"
                      + " missing."),
              new Setting(
                  "topic.cache",
                  Setting.envOf("topic.cache"),
                  "edit-cache-index",
                  false,
                  "Compacted topic of cached result references (dedup across restarts and instances)."),
              new Setting(
                  "topic.partitions",
                  Setting.envOf("topic.partitions"),
                  "6",
                  false,
                  "Partitions of topics the processor creates when they are missing."),
              new Setting(
                  "topic.max.message.bytes",
                  Setting.envOf("topic.max.message.bytes"),
                  "8388608",
                  false,
                  "Largest record the processor writes, and max.message.bytes of the topics it creates"
                      + " (its internal topics too): a pending-store entry or a DLQ record is a little"
                      + " larger than the input record it holds."),
              new Setting(
                  "topic.replication",
                  Setting.envOf("topic.replication"),
                  "-1",
                  false,
                  "Replication factor of created topics; -1 uses the broker's default."),
              new Setting(
                  "application.id",
                  Setting.envOf("application.id"),
                  "editstream-processor",
                  false,
                  "Kafka Streams application id (consumer group, internal topic prefix)."),
              new Setting(
                  "state.dir",
                  Setting.envOf("state.dir"),
                  System.getProperty("java.io.tmpdir") + "/editstream-state",
                  false,
                  "Base of the Kafka Streams state directories on this host: each running"
                      + " instance takes the lowest free sub-directory instance-N (locked while it"
                      + " runs), so several instances may share one base or volume, and a restarted"
                      + " instance finds its own state again."),
              new Setting(
                  "stream.threads",
                  Setting.envOf("stream.threads"),
                  "1",
                  false,
                  "Kafka Streams threads per instance."),
              new Setting(
                  "instance.id",
                  Setting.envOf("instance.id"),
                  "",
                  false,
                  "A name for this instance that stays the same across its restarts and is unique in"
                      + " the application (a StatefulSet pod's name, a host name). Set, it makes the"
                      + " instance a static member of the consumer group: a restart after a crash takes"
                      + " its tasks back at once instead of after the old member's session timeout, and"
                      + " without moving other instances' tasks; the state directory's slot"
                      + " (-instance-N) is appended, so instances sharing a host stay distinct. A stopped"
                      + " instance's tasks then move after kafka.session.timeout.ms. Empty: dynamic"
                      + " membership. Letters, digits, '.', '_' and '-' only."),
              new Setting(
                  "pending.max.per.task",
                  Setting.envOf("pending.max.per.task"),
                  "1000",
                  false,
                  "Accepted jobs per task above which consumption slows down (back-pressure). They"
                      + " are restored from the changelog after a crash or a move, so a larger"
                      + " value means a slower recovery."),
              new Setting(
                  "jobs.direct.when.keyed.by.jobid",
                  Setting.envOf("jobs.direct.when.keyed.by.jobid"),
                  "true",
                  false,
                  "A job keyed by its jobId (as editstream submit sends it) in the partition the"
                      + " default partitioner gives that key skips the repartition hop: one"
                      + " exactly-once commit less per job. Others (keyed by SKU, custom"
                      + " partitioners) still take the hop. Changing it changes the topology:"
                      + " stop every instance first."),
              new Setting(
                  "blob.store",
                  Setting.envOf("blob.store"),
                  "local",
                  false,
                  "Where finished images (and large undecodable records) are stored: local (the"
                      + " directory blob.dir, for one host) or s3 (an S3-compatible bucket every"
                      + " host can read, blob.s3.*)."),
              new Setting(
                  "blob.dir",
                  Setting.envOf("blob.dir"),
                  "./editstream-blobs",
                  false,
                  "Directory of the local blob store (blob.store=local)."),
              new Setting(
                  "blob.retention.ms",
                  Setting.envOf("blob.retention.ms"),
                  "604800000",
                  false,
                  "How long the local blob store keeps a finished image after it was last written"
                      + " (default 7 days; an hourly sweep deletes older ones); 0 keeps them"
                      + " forever. At least cache.ttl.ms. With blob.store=s3 use a bucket"
                      + " lifecycle rule instead (README, \"Many hosts\")."),
              new Setting(
                  "blob.s3.bucket",
                  Setting.envOf("blob.s3.bucket"),
                  null,
                  false,
                  "Bucket of the S3 blob store (required with blob.store=s3). The processor checks at"
                      + " start-up that it exists and that the credentials may use it."),
              new Setting(
                  "blob.s3.prefix",
                  Setting.envOf("blob.s3.prefix"),
                  "",
                  false,
                  "Key prefix of the objects, e.g. 'editstream/': images are"
                      + " PREFIX + SHA-256 + .png/.jpg/.webp, spilled undecodable records"
                      + " PREFIX + dlq/ + SHA-256 + .bin."),
              new Setting(
                  "blob.s3.region",
                  Setting.envOf("blob.s3.region"),
                  null,
                  false,
                  "Region of the bucket; unset uses the AWS SDK's region chain (AWS_REGION,"
                      + " ~/.aws/config), or us-east-1 with blob.s3.endpoint set."),
              new Setting(
                  "blob.s3.endpoint",
                  Setting.envOf("blob.s3.endpoint"),
                  null,
                  false,
                  "Endpoint of an S3-compatible store (MinIO, R2, Ceph, GCS's XML API), e.g."
                      + " http://minio:9000; unset uses AWS S3."),
              new Setting(
                  "blob.s3.path.style",
                  Setting.envOf("blob.s3.path.style"),
                  "false",
                  false,
                  "Address the bucket in the URL path (endpoint/bucket/key) instead of the host name;"
                      + " most S3-compatible stores need true."),
              new Setting(
                  "blob.s3.access.key",
                  Setting.envOf("blob.s3.access.key"),
                  null,
                  true,
                  "Access key id of the S3 store, with blob.s3.secret.key; unset uses the AWS SDK's"
                      + " default credentials chain (environment, profile, container or instance"
                      + " role). Never logged."),
              new Setting(
                  "blob.s3.secret.key",
                  Setting.envOf("blob.s3.secret.key"),
                  null,
                  true,
                  "Secret access key of the S3 store, with blob.s3.access.key. Never logged."),
              new Setting(
                  "blob.s3.presign.ttl",
                  Setting.envOf("blob.s3.presign.ttl"),
                  "",
                  false,
                  "How long the presigned URL each result carries per image can read it, e.g. 1h,"
                      + " 15m, 900s or PT1H (at most 7d); empty or 0 puts no presigned URL in"
                      + " results."),
              new Setting(
                  "output.inline.max.bytes",
                  Setting.envOf("output.inline.max.bytes"),
                  "262144",
                  false,
                  "Finished images up to this size are also inlined in the result event."),
              new Setting(
                  "input.file.root",
                  Setting.envOf("input.file.root"),
                  null,
                  false,
                  "Root directory for file: input URIs; unset disables file: URIs."),
              new Setting(
                  "input.http.allow.hosts",
                  Setting.envOf("input.http.allow.hosts"),
                  "",
                  false,
                  "Comma-separated hosts (or *.suffix) http(s): input URIs may name; empty denies all."),
              new Setting(
                  "input.s3.allowed.buckets",
                  Setting.envOf("input.s3.allowed.buckets"),
                  "",
                  false,
                  "Comma-separated buckets that s3://bucket/key input images may name; they are"
                      + " read with the blob.s3.* connection and credentials (needs"
                      + " blob.store=s3). Empty refuses s3: inputs."),
              new Setting(
                  "input.http.allow.private",
                  Setting.envOf("input.http.allow.private"),
                  "false",
                  false,
                  "Allow http(s): inputs on loopback and private addresses (development only)."),
              new Setting(
                  "input.http.connect.timeout.ms",
                  Setting.envOf("input.http.connect.timeout.ms"),
                  "10000",
                  false,
                  "TCP/TLS connect timeout of each http(s): input fetch, redirects included."),
              new Setting(
                  "input.http.timeout.ms",
                  Setting.envOf("input.http.timeout.ms"),
                  "30000",
                  false,
                  "Deadline of a whole http(s): input fetch (all redirects and the body); a fetch"
                      + " that takes longer fails retryable with IMAGE_FETCH_FAILED."),
              new Setting(
                  "input.http.max.redirects",
                  Setting.envOf("input.http.max.redirects"),
                  "3",
                  false,
                  "Redirects an http(s): input fetch follows; every target is checked again."),
              new Setting(
                  "cache.max.bytes",
                  Setting.envOf("cache.max.bytes"),
                  "",
                  false,
                  "Heap the in-memory dedup cache may use, in bytes; empty: 1/8 of the heap"
                      + " (-Xmx), at least 16 MiB, at most 256 MiB (logged at start-up)."),
              new Setting(
                  "cache.ttl.ms",
                  Setting.envOf("cache.ttl.ms"),
                  "86400000",
                  false,
                  "How long a finished edit answers identical jobs."),
              new Setting(
                  "cache.tenant.isolation",
                  Setting.envOf("cache.tenant.isolation"),
                  "true",
                  false,
                  "Identical edits of different tenants are not shared (one tenant must not learn what"
                      + " another submitted)."),
              new Setting(
                  "price.input.per.million",
                  Setting.envOf("price.input.per.million"),
                  "0.50",
                  false,
                  "USD per million input tokens, for estimatedCostUsd (check Google's current prices)."),
              new Setting(
                  "price.output.per.million",
                  Setting.envOf("price.output.per.million"),
                  "60.0",
                  false,
                  "USD per million output tokens (image output tokens: 1120 per 1K image)."),
              new Setting(
                  "quota.rpm",
                  Setting.envOf("quota.rpm"),
                  "0",
                  false,
                  "Requests per minute of the default model's quota pool (the whole pool, shared by all"
                      + " instances by owned partitions); 0 = unlimited. Other models: set"
                      + " quota.model.<model>.rpm (and .ipm .tpm .rpd .burst) in the config file; a"
                      + " per-model key also overrides the quota.* value for the default model."),
              new Setting(
                  "quota.ipm",
                  Setting.envOf("quota.ipm"),
                  "0",
                  false,
                  "Output images per minute of the default model's pool; 0 = unlimited."),
              new Setting(
                  "quota.tpm",
                  Setting.envOf("quota.tpm"),
                  "0",
                  false,
                  "Input tokens per minute of the default model's pool (estimated before a call,"
                      + " corrected from usageMetadata after it); 0 = unlimited."),
              new Setting(
                  "quota.rpd",
                  Setting.envOf("quota.rpd"),
                  "0",
                  false,
                  "Requests per day (midnight to midnight Pacific) of the default model's pool; 0 ="
                      + " unlimited. The day's count is durable (changelogged per partition), so"
                      + " restarts, crashes and rebalances keep it. Whatever it says, a 429 naming"
                      + " a per-day quota holds the pool until midnight Pacific."),
              new Setting(
                  "quota.burst",
                  Setting.envOf("quota.burst"),
                  "0",
                  false,
                  "Requests the pool may admit back-to-back, below quota.rpm; sustained use is"
                      + " 1 - burst/rpm of the quota. 0 = automatic: rpm/200, at least 1."),
              new Setting(
                  "quota.window.ms",
                  Setting.envOf("quota.window.ms"),
                  "60500",
                  false,
                  "The rolling window the server meters per-minute quotas over, plus slack for network"
                      + " jitter between admission here and arrival there."),
              new Setting(
                  "quota.tenant.weights",
                  Setting.envOf("quota.tenant.weights"),
                  "",
                  false,
                  "Weighted fair sharing of every pool between tenants, e.g. 'acme:3,beta:1';"
                      + " unlisted tenants get quota.tenant.default.weight."),
              new Setting(
                  "quota.tenant.default.weight",
                  Setting.envOf("quota.tenant.default.weight"),
                  "1",
                  false,
                  "Weight of tenants not listed in quota.tenant.weights."),
              new Setting(
                  "tenant.budget.usd.per.day",
                  Setting.envOf("tenant.budget.usd.per.day"),
                  "",
                  false,
                  "Daily budget per tenant in USD (Pacific day, at the price.* settings), e.g."
                      + " 'acme:25,beta:2.5'. A job whose estimated cost would exceed it is not"
                      + " called (tenant.cap.action). Shared by instances like the quota pools."),
              new Setting(
                  "tenant.budget.default.usd.per.day",
                  Setting.envOf("tenant.budget.default.usd.per.day"),
                  "",
                  false,
                  "Daily budget in USD of tenants not listed in tenant.budget.usd.per.day;"
                      + " empty: no budget."),
              new Setting(
                  "tenant.requests.per.day",
                  Setting.envOf("tenant.requests.per.day"),
                  "",
                  false,
                  "Model requests per tenant per Pacific day, e.g. 'acme:5000,beta:200'."),
              new Setting(
                  "tenant.requests.default.per.day",
                  Setting.envOf("tenant.requests.default.per.day"),
                  "",
                  false,
                  "Model requests per Pacific day of tenants not listed in"
                      + " tenant.requests.per.day; empty: no cap."),
              new Setting(
                  "tenant.cap.action",
                  Setting.envOf("tenant.cap.action"),
                  "hold",
                  false,
                  "A job over its tenant's daily cap: hold (waits in the pending store until"
                      + " midnight Pacific) or fail (a BUDGET_EXCEEDED failure event at once)."),
              new Setting(
                  "batch.lane",
                  Setting.envOf("batch.lane"),
                  "off",
                  false,
                  "Which jobs go through the Gemini Batch API at half price: off (none), bulk"
                      + " (every BULK job of one step, on provider ai-studio, unless its attribute"
                      + " editstream.lane=online) or per-job (only jobs of one step with"
                      + " editstream.lane=batch, whatever their priority). Batch jobs take no"
                      + " online quota."),
              new Setting(
                  "batch.max.requests",
                  Setting.envOf("batch.max.requests"),
                  "200",
                  false,
                  "Jobs per batch: a batch is submitted when it has this many (per task and"
                      + " model) ..."),
              new Setting(
                  "batch.max.wait.ms",
                  Setting.envOf("batch.max.wait.ms"),
                  "60000",
                  false,
                  "... or when its oldest job has waited this long."),
              new Setting(
                  "batch.poll.interval.ms",
                  Setting.envOf("batch.poll.interval.ms"),
                  "30000",
                  false,
                  "How often each running batch is asked for its state."),
              new Setting(
                  "batch.on.batch.failure",
                  Setting.envOf("batch.on.batch.failure"),
                  "online",
                  false,
                  "A batch that fails, expires, is cancelled or is refused: online (its jobs are"
                      + " dispatched online) or fail (each job gets a failure event)."),
              new Setting(
                  "batch.deadline.ms",
                  Setting.envOf("batch.deadline.ms"),
                  "86400000",
                  false,
                  "A batch not ended this long after it was recorded (durable across restarts) is"
                      + " cancelled and its answers ignored; its jobs then go as"
                      + " batch.on.deadline says."),
              new Setting(
                  "batch.on.deadline",
                  Setting.envOf("batch.on.deadline"),
                  "online",
                  false,
                  "The jobs of a batch past batch.deadline.ms: online (dispatched online) or fail"
                      + " (an EXPIRED failure event naming batch.deadline.ms)."),
              new Setting(
                  "batch.quota.enqueued.requests",
                  Setting.envOf("batch.quota.enqueued.requests"),
                  "100000",
                  false,
                  "Requests the account may have in batches that have not ended; each instance"
                      + " keeps to its share (its input partitions), and a batch that does not fit"
                      + " waits. 0: no limit."),
              new Setting(
                  "batch.quota.enqueued.tokens",
                  Setting.envOf("batch.quota.enqueued.tokens"),
                  "0",
                  false,
                  "Input tokens (estimated) the account may have in batches that have not ended,"
                      + " shared like batch.quota.enqueued.requests; see the Batch API limits of"
                      + " your tier in AI Studio. 0: no limit (a 429 from the batch service still"
                      + " makes batches wait)."),
              new Setting(
                  "batch.inline.max.bytes",
                  Setting.envOf("batch.inline.max.bytes"),
                  "10000000",
                  false,
                  "A batch whose requests are larger than this goes as a JSONL file through the"
                      + " Files API instead of inline (Google caps inline batches at 20 MB)."),
              new Setting(
                  "quota.queue.max",
                  Setting.envOf("quota.queue.max"),
                  "100000",
                  false,
                  "Accepted jobs that may wait for quota per instance; beyond it jobs stay in the"
                      + " pending store and are queued later."),
              new Setting(
                  "safety.strikes.threshold",
                  Setting.envOf("safety.strikes.threshold"),
                  "5",
                  false,
                  "Safety blocks (PROMPT_BLOCKED, IMAGE_SAFETY) of one tenant within"
                      + " safety.strikes.window that hold the tenant: its jobs make no model call"
                      + " until an operator runs editstream tenant release TENANT. Counted over all"
                      + " instances; 0 = off."),
              new Setting(
                  "safety.strikes.window",
                  Setting.envOf("safety.strikes.window"),
                  "1h",
                  false,
                  "The sliding window safety.strikes.threshold counts in, e.g. 15m, 1h, 1d."),
              new Setting(
                  "safety.strikes.action",
                  Setting.envOf("safety.strikes.action"),
                  "hold",
                  false,
                  "What a held tenant's jobs do: hold (wait in the pending store without a call or"
                      + " quota, and run after the release) or fail (end at once as"
                      + " TENANT_SUSPENDED; replay them after the release)."),
              new Setting(
                  "http.port",
                  Setting.envOf("http.port"),
                  "8080",
                  false,
                  "Port of /health, /metrics and /jobs; 0 picks a free port, -1 disables."),
              new Setting(
                  "http.host",
                  Setting.envOf("http.host"),
                  "0.0.0.0",
                  false,
                  "Address /health, /metrics and /jobs bind to."),
              new Setting(
                  "http.advertised.host",
                  Setting.envOf("http.advertised.host"),
                  "",
                  false,
                  "Host name other instances reach this one's /jobs at (Kafka Streams'"
                      + " application.server, with the http.port in use); empty: http.host, or"
                      + " this machine's address when http.host is a wildcard (set it where that address is"
                      + " not the one other instances reach, e.g. behind NAT).")));

  /** provider.NAME.quota.LIMIT for every provider and limit, placed after quota.queue.max. */
  private static List<Setting> withProviderQuotas(List<Setting> base) {
    List<Setting> out = new java.util.ArrayList<>();
    for (Setting setting : base) {
      out.add(setting);
      if (!setting.name().equals("quota.queue.max")) {
        continue;
      }
      for (String provider : ProcessorConfig.Providers.KNOWN) {
        boolean studio = provider.equals(ProcessorConfig.AI_STUDIO);
        for (String limit : ProcessorConfig.LIMIT_NAMES) {
          String name = ProcessorConfig.providerQuotaKey(provider, limit);
          String doc;
          if (limit.equals("burst")) {
            doc =
                "Requests "
                    + provider
                    + "'s pool may admit back-to-back, as quota.burst; unset = "
                    + (studio ? "quota.burst." : "0 (automatic: rpm/200, at least 1).");
          } else {
            doc =
                capitalized(limitMeaning(limit))
                    + " of "
                    + provider
                    + "'s quota pool for the default model (the whole pool, shared by all"
                    + " instances); unset = "
                    + (studio ? "quota." + limit + "." : "0 = unlimited.");
          }
          out.add(new Setting(name, Setting.envOf(name), null, false, doc));
        }
      }
    }
    return List.copyOf(out);
  }

  private static String capitalized(String s) {
    return Character.toUpperCase(s.charAt(0)) + s.substring(1);
  }

  private static String limitMeaning(String limit) {
    return switch (limit) {
      case "rpm" -> "requests per minute";
      case "ipm" -> "output images per minute";
      case "tpm" -> "input tokens per minute";
      case "rpd" -> "requests per day";
      default -> limit;
    };
  }

  private final Map<String, String> values;

  private Settings(Map<String, String> values) {
    this.values = values;
  }

  /** Settings from an optional properties file and the environment. */
  public static Settings load(Path file, Map<String, String> env) {
    Map<String, String> merged = new TreeMap<>();
    if (file != null) {
      Properties p = new Properties();
      try (InputStream in = Files.newInputStream(file)) {
        p.load(in);
      } catch (java.nio.file.NoSuchFileException e) {
        throw new ConfigException(
            "--config",
            file + ": no such file (give a Java properties file; --help lists the keys)");
      } catch (IOException e) {
        throw new ConfigException("--config", "cannot read " + file + ": " + e.getMessage());
      }
      p.stringPropertyNames().forEach(k -> merged.put(k, p.getProperty(k).trim()));
    }
    for (Setting s : ALL) {
      String v = env.get(s.env());
      if (v != null && !v.isBlank()) {
        merged.put(s.name(), v.trim());
      }
    }
    // Generic overrides for pass-through keys: EDITSTREAM_KAFKA_SASL_MECHANISM ->
    // kafka.sasl.mechanism
    env.forEach(
        (k, v) -> {
          if (k.startsWith("EDITSTREAM_KAFKA_") || k.startsWith("EDITSTREAM_SCHEMA_REGISTRY_")) {
            merged.putIfAbsent(
                k.substring("EDITSTREAM_".length()).toLowerCase().replace('_', '.'), v);
          }
        });
    return new Settings(merged);
  }

  public static Settings of(Map<String, String> values) {
    return new Settings(new TreeMap<>(values));
  }

  public String string(String name) {
    String v = values.get(name);
    if (v != null) {
      return v;
    }
    return ALL.stream()
        .filter(s -> s.name().equals(name))
        .findFirst()
        .map(Setting::defaultValue)
        .orElse(null);
  }

  public String required(String name) {
    String v = string(name);
    if (v == null || v.isBlank()) {
      throw new ConfigException(name, "is required (" + envHint(name) + ")");
    }
    return v;
  }

  public int integer(String name, int min, int max) {
    String v = string(name);
    try {
      int i = Integer.parseInt(v.trim());
      if (i < min || i > max) {
        throw new ConfigException(
            name, "'" + v + "' is out of range; accepted " + min + ".." + max);
      }
      return i;
    } catch (NumberFormatException | NullPointerException e) {
      throw new ConfigException(
          name, "'" + v + "' is not a whole number; accepted " + min + ".." + max);
    }
  }

  public Duration millis(String name, long min, long max) {
    String v = string(name);
    try {
      long l = Long.parseLong(v.trim());
      if (l < min || l > max) {
        throw new ConfigException(
            name, "'" + v + "' ms is out of range; accepted " + min + ".." + max);
      }
      return Duration.ofMillis(l);
    } catch (NumberFormatException | NullPointerException e) {
      throw new ConfigException(name, "'" + v + "' is not a number of milliseconds");
    }
  }

  public double decimal(String name, double min, double max) {
    String v = string(name);
    try {
      double d = Double.parseDouble(v.trim());
      if (!(d >= min && d <= max)) {
        throw new ConfigException(
            name, "'" + v + "' is out of range; accepted " + min + ".." + max);
      }
      return d;
    } catch (NumberFormatException | NullPointerException e) {
      throw new ConfigException(name, "'" + v + "' is not a number");
    }
  }

  public long longValue(String name, long min, long max) {
    String v = string(name);
    try {
      long l = Long.parseLong(v.trim());
      if (l < min || l > max) {
        throw new ConfigException(
            name, "'" + v + "' is out of range; accepted " + min + ".." + max);
      }
      return l;
    } catch (NumberFormatException | NullPointerException e) {
      throw new ConfigException(name, "'" + v + "' is not a whole number");
    }
  }

  /**
   * A duration: {@code 0}, a whole number with a unit ({@code 500ms}, {@code 90s}, {@code 15m},
   * {@code 1h}, {@code 7d}) or ISO-8601 ({@code PT1H}); blank is zero.
   */
  public Duration duration(String name, Duration min, Duration max) {
    String v = string(name);
    Duration d;
    try {
      d = parseDuration(v == null ? "" : v.trim());
    } catch (RuntimeException e) {
      throw new ConfigException(
          name,
          "'"
              + v
              + "' is not a duration; accepted e.g. 0, 500ms, 90s, 15m, 1h, 7d or PT1H, from "
              + min
              + " to "
              + max);
    }
    if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
      throw new ConfigException(
          name, "'" + v + "' is out of range; accepted " + min + " to " + max);
    }
    return d;
  }

  private static Duration parseDuration(String v) {
    if (v.isEmpty() || v.equals("0")) {
      return Duration.ZERO;
    }
    if (v.startsWith("P") || v.startsWith("p")) {
      return Duration.parse(v);
    }
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("(\\d{1,12})(ms|s|m|h|d)").matcher(v);
    if (!m.matches()) {
      throw new IllegalArgumentException(v);
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofDays(n);
    };
  }

  public boolean bool(String name) {
    String v = string(name);
    if ("true".equalsIgnoreCase(v) || "false".equalsIgnoreCase(v)) {
      return Boolean.parseBoolean(v);
    }
    throw new ConfigException(name, "'" + v + "' is not a boolean; accepted true or false");
  }

  /**
   * An http(s) URL with a host, or null when blank; {@code list} accepts several, comma-separated
   * (returned as given, trimmed).
   */
  public String httpUrl(String name, boolean list) {
    String v = string(name);
    if (v == null || v.isBlank()) {
      return null;
    }
    for (String one : list ? v.split(",") : new String[] {v}) {
      String u = one.trim();
      if (!isHttpUrlWithHost(u)) {
        throw new ConfigException(
            name,
            "'"
                + withoutUserInfo(u)
                + "' is not an http(s) URL with a host; accepted e.g. http://localhost:8081 ("
                + envHint(name)
                + ")");
      }
    }
    return v.trim();
  }

  /** Whether {@code url} parses as an http or https URL (any case) with a host. */
  public static boolean isHttpUrlWithHost(String url) {
    java.net.URI uri;
    try {
      uri = new java.net.URI(url);
    } catch (java.net.URISyntaxException e) {
      return false;
    }
    return uri.getScheme() != null
        && (uri.getScheme().equalsIgnoreCase("http") || uri.getScheme().equalsIgnoreCase("https"))
        && uri.getHost() != null;
  }

  /** {@code host:port[,host:port...]}, each port 1..65535, as Kafka's bootstrap.servers. */
  public String hostPorts(String name) {
    String v = required(name);
    for (String one : v.split(",")) {
      String hp = one.trim();
      int colon = hp.lastIndexOf(':');
      boolean ok = colon > 0 && colon < hp.length() - 1;
      if (ok) {
        try {
          int port = Integer.parseInt(hp.substring(colon + 1));
          ok = port >= 1 && port <= 65_535;
        } catch (NumberFormatException e) {
          ok = false;
        }
      }
      if (!ok) {
        throw new ConfigException(
            name,
            "'"
                + hp
                + "' is not HOST:PORT; accepted e.g. localhost:9092 or b1:9092,b2:9092 ("
                + envHint(name)
                + ")");
      }
    }
    return v.trim();
  }

  /**
   * The environment variable of {@code name}, or null for keys that are not in {@link #ALL} (e.g.
   * pass-through {@code kafka.*} keys).
   */
  public static String envOf(String name) {
    return ALL.stream()
        .filter(s -> s.name().equals(name))
        .map(Setting::env)
        .findFirst()
        .orElse(null);
  }

  /** http://user:secret@host → http://host: a URL in a message never carries a password. */
  public static String withoutUserInfo(String url) {
    return url.replaceAll("//[^/@]*@", "//");
  }

  /** Every key that was set (file or environment), for checks of free-form key families. */
  public java.util.Set<String> keys() {
    return java.util.Collections.unmodifiableSet(values.keySet());
  }

  /** Keys under a prefix, with the prefix removed (e.g. kafka.* for the clients). */
  public Map<String, String> withPrefix(String prefix) {
    Map<String, String> out = new LinkedHashMap<>();
    values.forEach(
        (k, v) -> {
          if (k.startsWith(prefix)) {
            out.put(k.substring(prefix.length()), v);
          }
        });
    return out;
  }

  private static String envHint(String name) {
    return ALL.stream()
        .filter(s -> s.name().equals(name))
        .findFirst()
        .map(s -> "set it in the config file or as " + s.env())
        .orElse("set it in the config file");
  }
}
