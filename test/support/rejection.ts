// For tests that expect a promise to fail and then look at the error.

/**
 * What `promise` rejects with; throws when it resolves instead. `E` only names what the test
 * reads from the error (it is not checked: assert on it, e.g. `to.be.instanceOf`).
 */
export async function rejection<E = unknown>(promise: Promise<unknown>): Promise<E> {
  try {
    await promise;
  } catch (error) {
    return error as E;
  }
  throw new Error('expected a rejection');
}
