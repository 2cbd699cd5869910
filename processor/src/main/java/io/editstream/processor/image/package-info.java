/**
 * Input and output images: type sniffing from magic bytes ({@link
 * io.editstream.processor.image.ImageSniffer}), header-only dimensions ({@link
 * io.editstream.processor.image.ImageProbe}), asynchronous, SSRF-safe loading of inline, {@code
 * file:} and {@code http(s):} inputs ({@link io.editstream.processor.image.ImageLoader}), and
 * re-encoding of model output ({@link io.editstream.processor.image.ImageEncoder}).
 */
package io.editstream.processor.image;
