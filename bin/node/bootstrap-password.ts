// Where a node keeps the generated password of the first ADMIN (docs/security.md): a file
// only the node's user can read (0600, in a 0700 directory), never stdout, where process
// supervisors and log shippers would keep it forever. The password is written to a pending
// file before the user is created and renamed into place once it is: a failed write stops
// the bootstrap before an account with an unknown password exists, and a bootstrap that
// finds users already there leaves an earlier file alone.
import { chmod, mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { BootstrapPasswordStore } from '../../actors/auth/index.js';

/** Content of the file (read by the operator once, then deleted). */
function fileText(email: string, password: string): string {
  return [
    'Beamstack: no user existed, so an ADMIN was created.',
    `email: ${email}`,
    `password: ${password}`,
    'Log in (POST /api/v1/sessions), change the password',
    '(PATCH /api/v1/users/<id> { "password": ..., "currentPassword": ... }), then delete this file.',
    '',
  ].join('\n');
}

async function writePrivate(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const file = await open(path, 'w', 0o600);
  try {
    // An existing file keeps its mode on open: tighten it before the secret goes in.
    await file.chmod(0o600);
    await file.writeFile(text);
  } finally {
    await file.close();
  }
  await chmod(path, 0o600);
}

/** The bootstrap password's store for ensureBootstrapAdmin: the file at `path`. */
export function bootstrapPasswordFile(path: string): BootstrapPasswordStore {
  return async (email, password) => {
    // Per process: two nodes sharing a data directory never write the same pending file.
    const pending = `${path}.${process.pid}.pending`;
    await writePrivate(pending, fileText(email, password));
    return {
      async commit() {
        await rename(pending, path);
        return path;
      },
      discard: () => rm(pending, { force: true }),
    };
  };
}
