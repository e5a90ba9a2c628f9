// One plain request to a node (a redirect, a page), without following redirects.

export interface ProbeAnswer {
  status: number;
  text: string;
  location?: string;
}

export async function probe(url: string, init: RequestInit = {}): Promise<ProbeAnswer> {
  const res = await fetch(url, { redirect: 'manual', ...init, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  const location = res.headers.get('location');
  return { status: res.status, text, ...(location !== null ? { location } : {}) };
}
