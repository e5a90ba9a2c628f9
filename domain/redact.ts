// Hiding secret-looking query values in URLs before they reach a log line or an error message.

/** `a=1&token=x` → `a=1&token=<censor>` for every key `isSecret` matches; other pairs unchanged. */
export function redactQuery(query: string, isSecret: RegExp, censor: string): string {
  return query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) return pair;
      const key = pair.slice(0, eq);
      return isSecret.test(key) ? `${key}=${censor}` : pair;
    })
    .join('&');
}
