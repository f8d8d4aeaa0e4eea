/**
 * A text-embedding model. The built-in hashed embedder implements it; the
 * model registry plugs real (ONNX) models behind the same interface.
 */
export interface Embedder {
  /** Model id and version, recorded with each call and part of embedding-cache keys. */
  readonly id: string;
  /** Length of every vector `embed` returns. */
  readonly dim: number;
  /** One vector per text, in order. */
  embed(texts: string[]): Promise<Float32Array[]>;
}
