/** 75 prompt tokens per chunk; with BOS and EOS a chunk is CLIP's 77. */
export const CHUNK_LENGTH = 75;
