// Readiness: what /ready reports on both ports. bin/ builds the checks (cluster store,
// MongoDB, actor tree, routing view); the gateway only reports them.
import { errorText } from '../../domain/errors.js';

export interface ReadinessCheck {
  /** Short dependency name shown to operators, e.g. `mongodb`, `cluster`, `actors`. */
  name: string;
  ok: boolean;
  /** Why it is not ok (shown in the 503 details). */
  message?: string;
}

export type Readiness = () => Promise<ReadinessCheck[]> | ReadinessCheck[];

export interface ReadinessReport {
  ready: boolean;
  down: ReadinessCheck[];
}

/** Runs the checks; a check function that throws counts as "readiness" not ready. */
export async function evaluateReadiness(readiness: Readiness): Promise<ReadinessReport> {
  let checks: ReadinessCheck[];
  try {
    checks = await readiness();
  } catch (err) {
    const message = errorText(err);
    return { ready: false, down: [{ name: 'readiness', ok: false, message: `the readiness check failed: ${message}` }] };
  }
  const down = checks.filter((check) => !check.ok);
  return { ready: down.length === 0, down };
}

/** `not ready: mongodb, cluster` */
export function notReadyMessage(down: ReadinessCheck[]): string {
  return `not ready: ${down.map((check) => check.name).join(', ')}`;
}
