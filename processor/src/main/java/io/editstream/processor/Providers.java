package io.editstream.processor;

import io.editstream.processor.config.ProcessorConfig;
import io.editstream.processor.model.GeminiModelClient;
import io.editstream.processor.model.ModelClient;
import io.editstream.processor.model.VertexModelClient;
import io.editstream.processor.model.WaveSpeedModelClient;
import io.editstream.processor.provider.FailoverPolicy;
import io.editstream.processor.provider.Pricing;
import io.editstream.processor.provider.ProviderRouter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/** Builds the model door from the configuration: the providers in order, behind one router. */
final class Providers {
  private Providers() {}

  static ModelClient build(ProcessorConfig config, Clock clock, MeterRegistry meters) {
    ProcessorConfig.Providers p = config.providers();
    ProcessorConfig.Model m = config.model();
    int connections = Math.max(m.maxInFlight(), 8);
    Pricing perToken =
        Pricing.perToken(config.pricing().inputPerMillion(), config.pricing().outputPerMillion());
    List<ProviderRouter.Route> routes = new ArrayList<>();
    for (String name : p.order()) {
      switch (name) {
        case "ai-studio" ->
            routes.add(
                ProviderRouter.Route.of(
                    new GeminiModelClient(
                        new GeminiModelClient.Settings(
                            m.apiKey(), m.baseUrl(), m.timeout(), connections)),
                    perToken));
        case "vertex" ->
            routes.add(
                ProviderRouter.Route.of(
                    new VertexModelClient(
                        new VertexModelClient.Settings(
                            p.vertexProject(),
                            p.vertexLocation(),
                            p.vertexCredentialsFile(),
                            p.vertexBaseUrl(),
                            m.timeout(),
                            connections)),
                    perToken));
        case "wavespeed" ->
            routes.add(
                ProviderRouter.Route.of(
                    new WaveSpeedModelClient(
                        new WaveSpeedModelClient.Settings(
                            p.wavespeedApiKey(),
                            p.wavespeedBaseUrl(),
                            p.wavespeedModelPath(),
                            m.timeout(),
                            p.wavespeedPollInitial(),
                            p.wavespeedPollMax())),
                    Pricing.perImage(p.wavespeedPricePerImage())));
        default -> throw new IllegalStateException("unknown provider " + name);
      }
    }
    return new ProviderRouter(
        routes,
        new FailoverPolicy(p.failoverRetryDelay(), p.circuitFailures(), p.circuitCoolDown()),
        clock,
        meters);
  }
}
