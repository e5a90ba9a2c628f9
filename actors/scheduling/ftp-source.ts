// The EPG server over FTP or FTPS (explicit TLS) with basic-ftp. One session per fetch run.
import { Client } from 'basic-ftp';
import type { EpgFtpSettings } from '../../domain/scheduling/config.js';
import type { EpgSession, EpgSource, RemoteEpgFile } from './ports.js';

/** Control-connection and data timeouts: a silent server fails the run instead of hanging it. */
const FTP_TIMEOUT_MS = 15_000;

export function ftpEpgSource(settings: EpgFtpSettings, timeoutMs = FTP_TIMEOUT_MS): EpgSource {
  const remote = (name: string): string => (settings.folder === '' ? name : `${settings.folder}/${name}`);
  return {
    description: settings.safeUrl,
    async open(): Promise<EpgSession> {
      const client = new Client(timeoutMs);
      try {
        await client.access({
          host: settings.host,
          port: settings.port,
          user: settings.user,
          password: settings.password,
          secure: settings.protocol === 'ftps',
        });
      } catch (err) {
        client.close();
        throw err;
      }
      return {
        async list(): Promise<RemoteEpgFile[]> {
          const entries = await client.list(settings.folder === '' ? undefined : settings.folder);
          return entries.filter((e) => e.isFile).map((e) => ({ name: e.name, size: e.size }));
        },
        async download(name, localPath) {
          await client.downloadTo(localPath, remote(name));
        },
        async remove(name) {
          await client.remove(remote(name));
        },
        close() {
          client.close();
        },
      };
    },
  };
}
