// Keeps credentials of a MongoDB URL out of log lines and error messages.
import { redactQuery } from '../domain/redact.js';

const SENSITIVE_QUERY_KEY = /password|secret|token|key|authmechanismproperties/i;

/**
 * `mongodb://user:pass@host:27017/db?x=1` → `mongodb://***@host:27017/db?x=1`. Everything up
 * to the last `@` counts as credentials: over-redacting a strange URL is fine, leaking is not.
 * Query values whose key looks secret (password, token, key, authMechanismProperties) are hidden too.
 */
export function redactMongoUrl(url: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url);
  if (scheme === null) return url.includes('@') ? '<redacted url>' : url;
  let rest = url.slice(scheme[0].length);
  const at = rest.lastIndexOf('@');
  if (at >= 0) rest = `***@${rest.slice(at + 1)}`;
  const q = rest.indexOf('?');
  if (q >= 0) rest = `${rest.slice(0, q)}?${redactQuery(rest.slice(q + 1), SENSITIVE_QUERY_KEY, '***')}`;
  return scheme[0] + rest;
}

function credentialsOf(url: string): string[] {
  const match = /^[a-z][a-z0-9+.-]*:\/\/(.*)@/i.exec(url);
  if (match === null) return [];
  const userinfo = match[1]!;
  const colon = userinfo.indexOf(':');
  const password = colon >= 0 ? userinfo.slice(colon + 1) : '';
  const found = [userinfo, password];
  try {
    found.push(decodeURIComponent(password));
  } catch {
    // not percent-encoded properly: the raw form is already in the list
  }
  return found.filter((s) => s.length >= 3);
}

/** Removes `url`, its credentials and any other credentialed mongodb URL from free text (e.g. an error message). */
export function redactSecrets(text: string, url?: string): string {
  let out = text;
  if (url !== undefined && url.length > 0) {
    out = out.split(url).join(redactMongoUrl(url));
    for (const secret of credentialsOf(url)) out = out.split(secret).join('***');
  }
  return out.replace(/mongodb(?:\+srv)?:\/\/[^\s@/]*@/gi, (m) => `${m.slice(0, m.indexOf('://') + 3)}***@`);
}
