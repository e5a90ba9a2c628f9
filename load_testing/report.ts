// Load-run reports: the summary numbers, the terminal table, and a self-contained HTML page
// with latency charts (inline SVG). Pure functions only.
import { LatencyHistogram, type HistogramJson } from './histogram.js';
import type { ResponseTally } from './http-load.js';

export interface LatencySummary {
  count: number;
  meanMs: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  maxMs: number;
}

/** Percentiles drawn in the latency-spectrum chart. */
export const SPECTRUM_PERCENTILES = [0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.999, 100];

export interface SpectrumPoint {
  percentile: number;
  ms: number;
}

export interface TimelinePoint {
  /** Seconds since the start of the run. */
  second: number;
  /** Completed requests (HTTP) or deliveries (chat) in that second. */
  count: number;
  errors: number;
  meanMs: number;
  maxMs: number;
}

interface ReportBase {
  scenario: string;
  target: string;
  startedAt: string;
  durationS: number;
  latency: LatencySummary;
  spectrum: SpectrumPoint[];
  timeline: TimelinePoint[];
  notes: string[];
}

export interface HttpLoadReport extends ReportBase, ResponseTally {
  kind: 'http';
  connections: number;
  /** Requested fixed rate; absent for closed-loop runs. */
  requestedRps?: number;
  achievedRps: number;
  requests: number;
  /** Fixed-rate runs: latency as measured, before the coordinated-omission correction. */
  uncorrected?: LatencySummary;
}

export interface ChatLoadReport extends ReportBase {
  kind: 'chat';
  sockets: number;
  socketsJoined: number;
  rooms: number;
  requestedMessagesPerSec: number;
  messagesSent: number;
  messagesAcked: number;
  messagesRejected: Record<string, number>;
  /** Deliveries an ideal server would make for the acknowledged messages. */
  deliveriesExpected: number;
  deliveriesReceived: number;
  /** Deliveries per second during the sending window (the sustained rate). */
  deliveriesPerSec: number;
  lost: number;
  duplicates: number;
  outOfOrder: number;
  errors: Record<string, number>;
  errorTotal: number;
}

export type LoadReport = HttpLoadReport | ChatLoadReport;

export function summarizeLatency(h: LatencyHistogram): LatencySummary {
  return {
    count: h.count,
    meanMs: h.meanMs,
    p50: h.percentile(50),
    p90: h.percentile(90),
    p99: h.percentile(99),
    p999: h.percentile(99.9),
    maxMs: h.maxMs,
  };
}

export function spectrumOf(h: LatencyHistogram): SpectrumPoint[] {
  if (h.count === 0) return [];
  return SPECTRUM_PERCENTILES.map((percentile) => ({ percentile, ms: percentile === 0 ? h.minMs : h.percentile(percentile) }));
}

export function summarizeJson(json: HistogramJson): LatencySummary {
  return summarizeLatency(LatencyHistogram.fromJSON(json));
}

// ---------------------------------------------------------------- text

/** Milliseconds with sensible precision: 0.412, 4.12, 41.2, 412. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  if (ms === 0) return '0';
  if (ms < 10) return ms.toFixed(ms < 1 ? 3 : 2);
  if (ms < 100) return ms.toFixed(1);
  return Math.round(ms).toString();
}

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A plain text table: the first row is the header; columns after the first are right-aligned. */
export function textTable(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  const line = (row: string[]): string =>
    row
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const [header, ...body] = rows;
  if (header === undefined) return '';
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

function latencyRows(label: string, l: LatencySummary): string[] {
  return [label, formatMs(l.p50), formatMs(l.p90), formatMs(l.p99), formatMs(l.p999), formatMs(l.maxMs), formatMs(l.meanMs)];
}

function countsText(counts: Record<string, number>): string {
  const entries = Object.entries(counts).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? 'none' : entries.map(([k, v]) => `${k}: ${formatCount(v)}`).join(', ');
}

export function formatReport(report: LoadReport): string {
  const lines: string[] = [];
  if (report.kind === 'http') {
    const mode = report.requestedRps === undefined ? 'closed loop' : `fixed rate ${formatCount(report.requestedRps)} req/s`;
    lines.push(`${report.scenario} -> ${report.target}: ${report.connections} connections, ${mode}, ${report.durationS.toFixed(1)} s`);
    lines.push(`achieved ${formatCount(report.achievedRps)} req/s (${formatCount(report.requests)} responses)`);
    lines.push(`status: ${countsText(report.statusCounts)}`);
    lines.push(
      `errors: ${formatCount(report.errorTotal)} (timeouts ${formatCount(report.timeouts)})${report.errorTotal > 0 ? ` ${countsText(report.errors)}` : ''}`,
    );
  } else {
    lines.push(
      `chat -> ${report.target}: ${report.socketsJoined}/${report.sockets} sockets joined in ${report.rooms} rooms, ` +
        `${formatCount(report.requestedMessagesPerSec)} msg/s requested, ${report.durationS.toFixed(1)} s`,
    );
    lines.push(
      `messages sent ${formatCount(report.messagesSent)}, acknowledged ${formatCount(report.messagesAcked)}` +
        `${Object.keys(report.messagesRejected).length > 0 ? `, rejected ${countsText(report.messagesRejected)}` : ''}`,
    );
    lines.push(
      `deliveries ${formatCount(report.deliveriesReceived)} of ${formatCount(report.deliveriesExpected)} expected, ` +
        `${formatCount(report.deliveriesPerSec)}/s sustained; lost ${formatCount(report.lost)}, duplicates ${formatCount(report.duplicates)}, out of order ${formatCount(report.outOfOrder)}`,
    );
    lines.push(`errors: ${formatCount(report.errorTotal)}${report.errorTotal > 0 ? ` ${countsText(report.errors)}` : ''}`);
  }
  const rows = [
    ['latency (ms)', 'p50', 'p90', 'p99', 'p99.9', 'max', 'mean'],
    latencyRows(report.kind === 'chat' ? 'delivery' : 'response', report.latency),
  ];
  if (report.kind === 'http' && report.uncorrected !== undefined) rows.push(latencyRows('as measured', report.uncorrected));
  lines.push('', textTable(rows));
  for (const note of report.notes) lines.push(`note: ${note}`);
  return lines.join('\n');
}

// ---------------------------------------------------------------- HTML

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

interface ChartSeries {
  name: string;
  color: string;
  points: Array<[number, number]>;
}

interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  /** Tick positions (in x units) and their labels. */
  xTicks: Array<[number, string]>;
  series: ChartSeries[];
  width?: number;
  height?: number;
}

function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

/** A line chart as an inline SVG string (no scripts, no external assets). */
export function lineChartSvg(opts: ChartOptions): string {
  const width = opts.width ?? 720;
  const height = opts.height ?? 320;
  const left = 64;
  const right = 40;
  const top = 32;
  const bottom = 48;
  const all = opts.series.flatMap((s) => s.points);
  const xMin = Math.min(...all.map(([x]) => x), ...opts.xTicks.map(([x]) => x));
  const xMax = Math.max(...all.map(([x]) => x), ...opts.xTicks.map(([x]) => x));
  const yMax = niceMax(Math.max(0, ...all.map(([, y]) => y)));
  const sx = (x: number): number => left + ((x - xMin) / (xMax - xMin || 1)) * (width - left - right);
  const sy = (y: number): number => height - bottom - (y / yMax) * (height - top - bottom);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(opts.title)}">`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${escapeHtml(opts.title)}</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const y = (yMax * i) / 4;
    parts.push(
      `<line x1="${left}" x2="${width - right}" y1="${sy(y).toFixed(1)}" y2="${sy(y).toFixed(1)}" stroke="#ddd"/>`,
      `<text x="${left - 6}" y="${(sy(y) + 4).toFixed(1)}" text-anchor="end" font-size="11">${escapeHtml(formatMs(y))}</text>`,
    );
  }
  for (const [x, label] of opts.xTicks) {
    parts.push(
      `<line x1="${sx(x).toFixed(1)}" x2="${sx(x).toFixed(1)}" y1="${top}" y2="${height - bottom}" stroke="#eee"/>`,
      `<text x="${sx(x).toFixed(1)}" y="${height - bottom + 16}" text-anchor="middle" font-size="11">${escapeHtml(label)}</text>`,
    );
  }
  parts.push(
    `<line x1="${left}" x2="${left}" y1="${top}" y2="${height - bottom}" stroke="#333"/>`,
    `<line x1="${left}" x2="${width - right}" y1="${height - bottom}" y2="${height - bottom}" stroke="#333"/>`,
    `<text x="${(left + width - right) / 2}" y="${height - 10}" text-anchor="middle" font-size="12">${escapeHtml(opts.xLabel)}</text>`,
    `<text x="14" y="${(top + height - bottom) / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 14 ${(top + height - bottom) / 2})">${escapeHtml(opts.yLabel)}</text>`,
  );
  opts.series.forEach((series, i) => {
    if (series.points.length > 0) {
      const d = series.points.map(([x, y], j) => `${j === 0 ? 'M' : 'L'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
      parts.push(`<path d="${d}" fill="none" stroke="${series.color}" stroke-width="2"/>`);
    }
    parts.push(
      `<rect x="${left + 10 + i * 150}" y="${top + 4}" width="12" height="3" fill="${series.color}"/>`,
      `<text x="${left + 26 + i * 150}" y="${top + 9}" font-size="11">${escapeHtml(series.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** x position of a percentile on the usual "1 / (1 - p)" log scale of latency spectra. */
export function spectrumX(percentile: number): number {
  const clamped = Math.min(percentile, 99.999);
  return Math.log10(1 / (1 - clamped / 100));
}

function spectrumChart(report: LoadReport): string {
  const series: ChartSeries[] = [
    {
      name: report.kind === 'chat' ? 'delivery' : 'response',
      color: '#1f6feb',
      points: report.spectrum.map((p) => [spectrumX(p.percentile), p.ms]),
    },
  ];
  if (report.kind === 'http' && report.uncorrected !== undefined) {
    const h = report.uncorrected;
    series.push({
      name: 'as measured',
      color: '#999',
      points: [
        [spectrumX(50), h.p50],
        [spectrumX(90), h.p90],
        [spectrumX(99), h.p99],
        [spectrumX(99.9), h.p999],
        [spectrumX(100), h.maxMs],
      ],
    });
  }
  const ticks: Array<[number, string]> = [0, 90, 99, 99.9, 99.99, 99.999].map((p) => [spectrumX(p), `${p}%`]);
  return lineChartSvg({ title: 'Latency by percentile', xLabel: 'percentile', yLabel: 'latency (ms)', xTicks: ticks, series });
}

function timelineCharts(report: LoadReport): string {
  if (report.timeline.length === 0) return '';
  const last = report.timeline[report.timeline.length - 1]!.second;
  const step = Math.max(1, Math.ceil(last / 10));
  const ticks: Array<[number, string]> = [];
  for (let s = 0; s <= last; s += step) ticks.push([s, `${s}s`]);
  const rate = lineChartSvg({
    title: report.kind === 'chat' ? 'Deliveries per second' : 'Responses per second',
    xLabel: 'time',
    yLabel: 'per second',
    xTicks: ticks,
    series: [
      {
        name: report.kind === 'chat' ? 'deliveries' : 'responses',
        color: '#2da44e',
        points: report.timeline.map((t) => [t.second, t.count]),
      },
      { name: 'errors', color: '#cf222e', points: report.timeline.map((t) => [t.second, t.errors]) },
    ],
  });
  const latency = lineChartSvg({
    title: 'Latency over time',
    xLabel: 'time',
    yLabel: 'latency (ms)',
    xTicks: ticks,
    series: [
      { name: 'mean', color: '#1f6feb', points: report.timeline.map((t) => [t.second, t.meanMs]) },
      { name: 'max', color: '#bf8700', points: report.timeline.map((t) => [t.second, t.maxMs]) },
    ],
  });
  return `${rate}\n${latency}`;
}

export function renderHtml(report: LoadReport, machine?: string): string {
  const rows = [
    ['latency (ms)', 'p50', 'p90', 'p99', 'p99.9', 'max', 'mean'],
    latencyRows(report.kind === 'chat' ? 'delivery' : 'response', report.latency),
  ];
  if (report.kind === 'http' && report.uncorrected !== undefined) rows.push(latencyRows('as measured', report.uncorrected));
  const [header, ...body] = rows;
  const table = `<table><thead><tr>${header!.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${body
    .map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
  const summary = formatReport(report).split('\n\n')[0]!;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(`Load report: ${report.scenario}`)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}td:first-child,th:first-child{text-align:left}pre{background:#f6f8fa;padding:1em}svg{display:block;margin:1em 0}</style>
</head><body>
<h1>${escapeHtml(`Load report: ${report.scenario}`)}</h1>
<p>${escapeHtml(report.startedAt)}${machine === undefined ? '' : ` &middot; ${escapeHtml(machine)}`}</p>
<pre>${escapeHtml(summary)}</pre>
${table}
${report.notes.map((n) => `<p>${escapeHtml(n)}</p>`).join('\n')}
${spectrumChart(report)}
${timelineCharts(report)}
</body></html>
`;
}
