// EPG fetch (docs/scheduling.md): list the remote folder, download up to a batch of new
// `^[A-Za-z0-9_]+\.xml$` files into the inbox (temp name, then rename), and delete remote
// copies that were imported when EPG_FTP_DELETE is on. Any failure (login refused, file gone,
// connection dropped) is reported with its reason; the next run tries again.
import type { EpgFolders } from '../epg-folders.js';
import { EPG_FILE_NAME } from '../epg-folders.js';
import { errorText, type JobRun } from '../job-run.js';
import type { EpgSession, EpgSource } from '../ports.js';

export interface EpgFetchDeps {
  source: EpgSource;
  folders: EpgFolders;
  batch: number;
  deleteImported: boolean;
}

export async function fetchEpg(run: JobRun, deps: EpgFetchDeps): Promise<void> {
  const { folders, source } = deps;
  await folders.ensure();
  let session: EpgSession;
  try {
    session = await source.open();
  } catch (err) {
    run.fail(`cannot log in to the EPG server ${source.description}: ${errorText(err)}`);
    run.files = await folders.listing();
    return;
  }
  try {
    const remote = (await session.list()).filter((f) => EPG_FILE_NAME.test(f.name));
    run.count('listed', remote.length);
    let downloads = 0;
    for (const file of remote) {
      if (run.cancelled) break;
      // Imported already: the remote copy goes when configured, and is never fetched again unchanged.
      const processedSize = await folders.sizeIn('processed', file.name);
      if (processedSize === file.size) {
        if (deps.deleteImported) await removeRemote(run, session, file.name);
        continue;
      }
      if ((await folders.sizeIn('inbox', file.name)) !== undefined) continue;
      if ((await folders.sizeIn('failed', file.name)) === file.size) continue;
      if (downloads >= deps.batch) {
        run.count('deferred');
        continue;
      }
      downloads += 1;
      const temp = folders.tempPath(file.name);
      try {
        await session.download(file.name, temp);
        await folders.admit(temp, file.name);
        run.count('downloaded');
      } catch (err) {
        await folders.discardTemp(temp);
        run.fail(`download failed: ${errorText(err)}`, file.name);
        // A dropped control connection fails every later command too: stop here.
        if (!(await stillConnected(session))) break;
      }
    }
  } catch (err) {
    run.fail(`the EPG server ${source.description} failed: ${errorText(err)}`);
  } finally {
    session.close();
  }
  run.files = await folders.listing();
}

async function removeRemote(run: JobRun, session: EpgSession, name: string): Promise<void> {
  try {
    await session.remove(name);
    run.count('deletedRemote');
  } catch (err) {
    run.fail(`could not delete the imported file on the EPG server: ${errorText(err)}`, name);
  }
}

async function stillConnected(session: EpgSession): Promise<boolean> {
  try {
    await session.list();
    return true;
  } catch {
    return false;
  }
}
