export interface CanopyFederationOptions {
  /** Canopy app names by remote name, where they differ. */
  apps?: Record<string, string>;
  /** The `crossorigin` attribute set on remote entry scripts; false leaves them as they are. Default "anonymous". */
  crossOrigin?: 'anonymous' | 'use-credentials' | false;
}

/** A Module Federation runtime plugin: failed remotes are failed loads of their app. */
export default function canopyFederationPlugin(options?: CanopyFederationOptions): {
  name: string;
  createScript(args: { url: string; attrs?: Record<string, unknown> }): void;
  errorLoadRemote(args: { id: string; error: unknown; lifecycle: string; remote?: { name: string } }): void;
};
