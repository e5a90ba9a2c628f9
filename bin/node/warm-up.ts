// Work a node does once before its ports listen, so it does not land on the serving event loop
// later. Node's global fetch compiles undici on its first call (~50 ms on the bench machine);
// the first DVR call of the scheduling jobs on a serving node blocked redirects that long
// (docs/performance.md, "B6: the lag of the load alone").
export async function warmUpNode(): Promise<void> {
  // A data: URL loads the whole fetch stack without touching the network.
  await fetch('data:,')
    .then((res) => res.arrayBuffer())
    .catch(() => undefined);
}
