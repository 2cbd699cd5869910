/**
 * The processor's one typed configuration.
 *
 * <p>{@link io.editstream.processor.config.Settings} reads raw values (environment variable, then
 * the properties file, then the default; {@code kafka.*} and {@code schema.registry.*} pass through
 * to the clients) and lists every documented {@link io.editstream.processor.config.Setting} in
 * {@link io.editstream.processor.config.Settings#ALL}; {@link
 * io.editstream.processor.config.ProcessorConfig} is the parsed, validated result. A bad value
 * stops start-up with a {@link io.editstream.processor.config.ConfigException} that names the
 * setting and what it accepts, without the value of a secret; {@code toString()} masks the API
 * keys, the S3 credentials and every pass-through client setting that may hold a secret. {@link
 * io.editstream.processor.config.Reachability} checks at start-up that endpoints a setting names
 * answer.
 */
package io.editstream.processor.config;
