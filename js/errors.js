// The one JS builder of RerankerError, used by client.js and worker.js (the wasm module builds the
// same shape in src/web/error.rs): an Error named "RerankerError" whose `code` is one of the
// RerankerErrorCode strings declared in ja_rerank.d.ts (and, for RATE_LIMITED, retryAfter: seconds).
export function rerankerError(code, message, retryAfter) {
  const error = new Error(message);
  error.name = "RerankerError";
  error.code = code;
  if (retryAfter !== undefined) error.retryAfter = retryAfter;
  return error;
}
