// Turning anything thrown into the text that goes into logs and answers.

/** The message of an Error, or the thrown value as text. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
