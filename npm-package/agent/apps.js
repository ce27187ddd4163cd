// Attribute: which micro-frontend an observation belongs to. Script errors,
// resources and stack traces carry URLs: the app whose asset prefix is the
// longest match of the URL owns the event. Anything no app claims belongs to
// the page's shell app. Apps are numbers in registration order; 0 is the shell.

import { MAX_APPS_PER_BEACON, MAX_APP_NAME_BYTES, attrsObject, byteLength, checkAppName, readFields } from './fields.js';
import { parseStack } from '../stack.js';
import { appEvent } from './encode.js';

const APP_FIELDS = 'Sname sversion lassetPrefixes shealthCheck ldependencies jrules rsampleRate aattributes sstack';

/** The page's app registry; `scrub` is scrubUrl (the asset prefix inferred from a stack is a scrubbed URL's directory). */
export function createApps(shell, scrub) {
  // Every app known by name; `listed` holds those registered (the shell only
  // once it registers itself), in first-registration order: the order the
  // beacon lists them and the order prefixes are matched in.
  const apps = [app(shell)], listed = [];
  const indexOf = (name) => apps.findIndex((known) => known.name == name);

  /** Records `entry` under its name, replacing an app registered before (an MFE that remounts, or a second bundled copy, must not appear twice). */
  function put(entry) {
    let index = indexOf(entry.name);
    if (index < 0) index = apps.push(entry) - 1;
    else apps[index] = entry;
    if (!listed.includes(index)) listed.push(index);
    return index;
  }

  /** The app owning `url` by longest asset prefix, -1 if none; on a tie (two apps with the same prefix) the later registered wins. */
  function ownerOfUrl(url) {
    let owner = -1, longest = -1;
    for (const index of listed) {
      for (const prefix of apps[index].prefixes) {
        if (prefix.length >= longest && prefix && String(url).startsWith(prefix)) [owner, longest] = [index, prefix.length];
      }
    }
    return owner;
  }

  /** The app claiming an error: the one its script URL points at, else the first stack frame an app claims; -1 if none. */
  function claimantOfError(url, frames) {
    let owner = ownerOfUrl(url);
    for (const frame of frames) if (owner < 0) owner = ownerOfUrl(frame.file);
    return owner;
  }

  return {
    indexOf,
    ownerOfUrl,
    claimantOfError,
    /** `{ index, event }` for a registration (`event` the "registered" app event), or `{ error }` as the wasm worded it. */
    register(options) {
      const fields = readFields(options, 'the app', APP_FIELDS);
      const why = typeof fields == 'string' ? fields : registrationProblem(fields);
      if (why) return { error: 'registerApp: ' + why };
      const [name, version = '', prefixes = [], healthCheck = '', dependencies = [], rules = '', sampleRate = 1, attrs = [], stack = ''] = fields;
      if (!prefixes.length) prefixes.push(...callerPrefix(parseStack(stack), scrub));
      const event = appEvent('registered');
      if (healthCheck) event.health_check = healthCheck;
      if (dependencies.length) event.dependencies = dependencies;
      if (rules) event.declared_rules = rules;
      return { index: put({ name, version, prefixes, sampleRate, attrs }), event };
    },
    /** `{ index, event|null }` of app `name`, registered bare (with its "registered" event) if unknown: an app that failed before its code could register counts against its own availability. `{ error }` for a bad name, as appFailed worded it. */
    ensure(name) {
      const known = indexOf(name);
      if (known == 0 || listed.includes(known)) return { index: known, event: null };
      const why = checkAppName(name);
      if (why) return { error: 'appFailed: ' + why };
      return { index: put(app(name)), event: appEvent('registered') };
    },
    /** The name of app `index` (the shell's for an unknown index). */
    nameOf: (index) => (apps[index] || apps[0]).name,
    /** The app owning an error: its claimant, else the shell (0). */
    ownerOfError: (url, frames) => Math.max(claimantOfError(url, frames), 0),
    /** The apps as the beacon lists them: the first registered, up to the server's limit (a later one's events still name it). */
    infos: () =>
      listed.slice(0, MAX_APPS_PER_BEACON).map((index) => {
        const { name, version, sampleRate, attrs } = apps[index], info = { name, version };
        if (sampleRate != 1) info.sample_rate = sampleRate;
        if (attrs.length) info.attrs = attrsObject(attrs);
        return info;
      }),
    /** The share of sessions app `index` reports from (1 for the shell unless it registered, and for unknown indexes). */
    sampleRate: (index) => (apps[index] ? apps[index].sampleRate : 1),
  };
}

/** An app known by name only: no version, prefixes or attributes, every session sampled. */
const app = (name) => ({ name, version: '', prefixes: [], sampleRate: 1, attrs: [] });

/** Why a registration read by APP_FIELDS cannot be used ('' when it can), in the wasm's order and words. */
function registrationProblem([name, version = '', prefixes = [], healthCheck = '', dependencies = []]) {
  const badPrefix = prefixes.find((prefix) => !prefix.includes('://'));
  const badDependency = dependencies.map((dependency) => checkAppName(dependency)).find(Boolean);
  return checkAppName(name) ||
    (byteLength(version) > MAX_APP_NAME_BYTES ? `version is longer than ${MAX_APP_NAME_BYTES} characters`
    : badPrefix !== undefined ? `assetPrefixes must be absolute URLs, got "${badPrefix}"`
    : healthCheck && !/^https?:\/\//.test(healthCheck) ? `healthCheck must be an absolute http(s) URL, got "${healthCheck}"`
    : badDependency ? 'dependencies: ' + badDependency
    : '');
}

/** The asset prefix of the bundle that made a call, as a list of none or one: the directory of the first script in the call's stack (the npm package passes the stack from its caller on, so the first frame is the app's code even when the package itself is shared by every app). */
export function callerPrefix(frames, scrub) {
  const script = frames.find((frame) => frame.file.includes('://'));
  const file = script ? scrub(script.file, []) : '', slash = file.lastIndexOf('/');
  return slash < 0 ? [] : [file.slice(0, slash + 1)];
}
