// Turning anything thrown into the text that goes into logs and answers.

/**
 * The message of an Error, or the thrown value as text — never an empty or bare "null": an
 * Error without a message (or with the message "null") is named by its class or name, its code
 * and its cause, an AggregateError (what a refused
 * dual-stack connect throws) by its inner errors, a thrown null or undefined says so.
 */
export function errorText(error: unknown): string {
  if (error instanceof AggregateError && error.message === '' && error.errors.length > 0) return error.errors.map(errorText).join('; ');
  if (error instanceof Error) {
    // A Java exception without a message reaches us through hazelcast-client as the text "null".
    if (error.message !== '' && error.message !== 'null') return error.message;
    const code = (error as NodeJS.ErrnoException).code;
    // Library error classes often keep the name "Error": their class says more.
    const name = error.name === 'Error' && error.constructor.name !== '' ? error.constructor.name : error.name;
    const text = code !== undefined ? `${name} ${code}` : `${name} without a message`;
    const cause: unknown = error.cause;
    return cause === undefined || cause === null ? text : `${text}, caused by: ${errorText(cause)}`;
  }
  if (error === null || error === undefined) return `${String(error)} was thrown (no error detail)`;
  if (typeof error === 'object') {
    const message = (error as { message?: unknown }).message;
    if (typeof message === 'string' && message !== '') return message;
    try {
      return JSON.stringify(error);
    } catch {
      return Object.prototype.toString.call(error);
    }
  }
  return String(error);
}
