/**
 * Several providers of the same model behind one {@link io.editstream.processor.model.ModelClient}:
 * {@link io.editstream.processor.provider.ProviderRouter} routes each call in a configured order,
 * honours a job's chosen provider, fails over when a provider's pool is exhausted or its circuit is
 * open, and prices each result with the serving provider's {@link
 * io.editstream.processor.provider.Pricing}. Time comes from an injected clock.
 */
package io.editstream.processor.provider;
