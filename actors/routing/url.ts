// Redirect URLs (docs/routing.md). The routing view precomputes origins and normalized
// paths once, so a request only concatenates origin + path.

/** Every run of "/" collapses to one, and the result starts with "/". */
export function normalizePath(path: string): string {
  let out = path.includes('//') ? path.replace(/\/{2,}/g, '/') : path;
  if (out.charCodeAt(0) !== 47) out = `/${out}`;
  return out;
}

/** Scheme and authority: https when the port is 443; the port is omitted for 80 and 443. */
export function origin(host: string, port: number): string {
  if (port === 443) return `https://${host}`;
  if (port === 80) return `http://${host}`;
  return `http://${host}:${port}`;
}

/** url(host, port, path) of docs/routing.md (step 8). */
export function url(host: string, port: number, path: string): string {
  return origin(host, port) + normalizePath(path);
}

/** The catch-up path on an edge: /dvr/{dvr prefix}/{record path}, slashes collapsed. */
export function catchupPath(dvrPrefix: string | undefined, recordPath: string): string {
  return normalizePath(`/dvr/${dvrPrefix ?? ''}/${recordPath}`);
}
