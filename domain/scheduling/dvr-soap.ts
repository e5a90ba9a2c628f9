// The CTI DVR service's SOAP 1.1 document/literal messages (docs/scheduling.md, "DVR
// protocol"): request envelopes built and response envelopes read with fast-xml-parser.
// Pure: no I/O. Children of the operation element are unqualified.
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';

export const DVR_NAMESPACE = 'http://ws.api.dvr.cti.ru';
export const SOAP_ENV_NAMESPACE = 'http://schemas.xmlsoap.org/soap/envelope/';
export const DVR_SERVICE_PATH = '/cti-dvr/dvr-service';

export const DVR_OPERATIONS = ['scheduleRecording', 'getRecording', 'removeRecording', 'cancelRecording', 'getDvrServerVersion'] as const;
export type DvrOperation = (typeof DVR_OPERATIONS)[number];

export const RECORDING_STATUSES = ['NEW', 'PLANNED', 'RUNNING', 'COMPLETED', 'ERROR', 'CANCELED', 'REMOVED'] as const;
export type RecordingStatus = (typeof RECORDING_STATUSES)[number];

export interface DvrRecordingTask {
  assetToCapture: string;
  contentId: string;
  params: string;
  placement: string;
  plannedStartTime: string;
  plannedEndTime: string;
}

export interface DvrRecording {
  assetToCapture?: string;
  capturedStartTime?: string;
  capturedEndTime?: string;
  contentId?: string;
  dvrAsset?: string;
  id?: string;
  plannedStartTime?: string;
  plannedEndTime?: string;
  recordingStatus: RecordingStatus;
}

/** The exception names the service declares; anything else is a plain SOAP fault. */
export type DvrFaultName = 'DvrServiceException' | 'DvrAssetNotFoundException';

export interface SoapFault {
  code: string;
  message: string;
  /** The declared exception in `detail`, when there is one (a DvrFaultName, or another server's own name). */
  exception?: string;
}

export class DvrProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DvrProtocolError';
  }
}

/** `2019-05-29T12:30:00+00:00`: the DVR's time format (UTC, explicit offset, no fraction). */
export function dvrTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) throw new RangeError(`not a time: ${iso}`);
  return `${date.toISOString().slice(0, 19)}+00:00`;
}

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@', suppressEmptyNode: false, format: false });

/** The request envelope of one operation; `arg0` is a string (a path) or a recording task. */
export function buildRequest(operation: DvrOperation, arg0?: string | DvrRecordingTask): string {
  const body: Record<string, unknown> = arg0 === undefined ? {} : { arg0: typeof arg0 === 'string' ? arg0 : { ...arg0 } };
  const doc = {
    'soapenv:Envelope': {
      '@xmlns:soapenv': SOAP_ENV_NAMESPACE,
      '@xmlns:ws': DVR_NAMESPACE,
      'soapenv:Header': '',
      'soapenv:Body': { [`ws:${operation}`]: body },
    },
  };
  // The builder escapes &, <, > and quotes in text.
  return `<?xml version="1.0" encoding="UTF-8"?>${builder.build(doc)}`;
}

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: true,
  processEntities: true,
});

type Node = Record<string, unknown>;

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'object' && value !== null && '#text' in value) return text((value as Node)['#text']);
  return undefined;
}

function obj(value: unknown): Node | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Node) : undefined;
}

/** The SOAP Body's single child, or a DvrProtocolError naming what is wrong with the document. */
function bodyOf(xml: string): Node {
  if (/<!ENTITY/i.test(xml)) throw new DvrProtocolError('the answer declares XML entities');
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new DvrProtocolError(`the answer is not XML: ${valid.err.msg}`);
  const doc = parser.parse(xml) as Node;
  const envelope = obj(doc.Envelope);
  if (!envelope) throw new DvrProtocolError('the answer is not a SOAP envelope');
  const body = obj(envelope.Body);
  if (!body) throw new DvrProtocolError('the SOAP envelope has no Body');
  return body;
}

/** The fault of an answer, or undefined when it is not a fault. */
export function readFault(xml: string): SoapFault | undefined {
  let body: Node;
  try {
    body = bodyOf(xml);
  } catch {
    return undefined;
  }
  const fault = obj(body.Fault);
  if (!fault) return undefined;
  const detail = obj(fault.detail);
  const exception = detail ? Object.keys(detail).find((k) => !k.startsWith('#')) : undefined;
  return {
    code: text(fault.faultcode) ?? 'Server',
    message: text(fault.faultstring) ?? '(no faultstring)',
    ...(exception !== undefined ? { exception } : {}),
  };
}

/** The `return` of `{operation}Response`; undefined when the operation returns nothing. */
export function readReturn(operation: DvrOperation, xml: string): unknown {
  const body = bodyOf(xml);
  if (body.Fault !== undefined) throw new DvrProtocolError('the answer is a SOAP fault');
  const name = `${operation}Response`;
  if (!(name in body)) throw new DvrProtocolError(`the answer has no ${name} element`);
  const response = obj(body[name]);
  return response?.return;
}

export function readStringReturn(operation: DvrOperation, xml: string): string {
  const value = text(readReturn(operation, xml));
  if (value === undefined || value.trim() === '') throw new DvrProtocolError(`${operation} returned no string`);
  return value.trim();
}

const RECORDING_FIELDS = [
  'assetToCapture',
  'capturedStartTime',
  'capturedEndTime',
  'contentId',
  'dvrAsset',
  'id',
  'plannedStartTime',
  'plannedEndTime',
] as const;

export function readRecording(xml: string): DvrRecording {
  const value = obj(readReturn('getRecording', xml));
  if (!value) throw new DvrProtocolError('getRecording returned no dvrRecording');
  const status = text(value.recordingStatus);
  if (status === undefined || !(RECORDING_STATUSES as readonly string[]).includes(status)) {
    throw new DvrProtocolError(`getRecording returned an unknown recordingStatus "${status ?? ''}"`);
  }
  const recording: DvrRecording = { recordingStatus: status as RecordingStatus };
  for (const field of RECORDING_FIELDS) {
    const v = text(value[field]);
    if (v !== undefined) recording[field] = v;
  }
  return recording;
}

/** The operation element of a request (for servers, i.e. the test simulator): its name and arg0. */
export function readRequest(xml: string): { operation: string; arg0: unknown } {
  const body = bodyOf(xml);
  const operation = Object.keys(body).find((k) => !k.startsWith('#'));
  if (operation === undefined) throw new DvrProtocolError('the SOAP Body is empty');
  return { operation, arg0: obj(body[operation])?.arg0 };
}

/** A response envelope (for servers, i.e. the test simulator). */
export function buildResponse(operation: string, value?: string | Record<string, string>): string {
  const inner = value === undefined ? '' : { return: value };
  const doc = {
    'soap:Envelope': {
      '@xmlns:soap': SOAP_ENV_NAMESPACE,
      'soap:Body': { [`ns2:${operation}Response`]: { '@xmlns:ns2': DVR_NAMESPACE, ...(inner === '' ? {} : inner) } },
    },
  };
  return `<?xml version="1.0" encoding="UTF-8"?>${builder.build(doc)}`;
}

/** A fault envelope as JAX-WS writes it, the exception named in `detail` (for the test simulator). */
export function buildFault(exception: DvrFaultName, message: string): string {
  const doc = {
    'soap:Envelope': {
      '@xmlns:soap': SOAP_ENV_NAMESPACE,
      'soap:Body': {
        'soap:Fault': {
          faultcode: 'soap:Server',
          faultstring: message,
          detail: { [`ns2:${exception}`]: { '@xmlns:ns2': DVR_NAMESPACE, message } },
        },
      },
    },
  };
  return `<?xml version="1.0" encoding="UTF-8"?>${builder.build(doc)}`;
}
