/** Epoch milliseconds with sub-millisecond precision, on the same clock as the server's Date.now(). */
export function nowMs() {
  return performance.timeOrigin + performance.now();
}
