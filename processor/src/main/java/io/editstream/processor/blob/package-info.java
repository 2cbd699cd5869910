/**
 * Content-addressed storage of output images ({@link io.editstream.processor.blob.BlobStore},
 * {@link io.editstream.processor.blob.LocalBlobStore}) and building the published {@code
 * OutputImage} ({@link io.editstream.processor.blob.OutputImages}).
 */
package io.editstream.processor.blob;
