// Turning anything thrown into the text that goes into logs and answers.

/**
 * The message of an Error, or the thrown value as text — never an empty or bare "null": an
 * Error without a message is named by its name and code, an AggregateError (what a refused
 * dual-stack connect throws) by its inner errors, a thrown null or undefined says so.
 */
export function errorText(error: unknown): string {
  if (error instanceof AggregateError && error.message === '' && error.errors.length > 0) return error.errors.map(errorText).join('; ');
  if (error instanceof Error) {
    if (error.message !== '') return error.message;
    const code = (error as NodeJS.ErrnoException).code;
    return code !== undefined ? `${error.name} ${code}` : `${error.name} without a message`;
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
