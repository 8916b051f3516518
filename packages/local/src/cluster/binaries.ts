import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { acquireLock } from './lock.ts';
import { formatElapsed, log, runWithProgress } from './progress.ts';

/**
 * Versions of everything the local control plane is built from. Changing one
 * builds it again into a new cache folder; the old folder is left alone.
 */
export const CLUSTER_VERSIONS = {
  kubernetes: 'v1.35.4',
  kine: 'v0.17.5',
  kwok: 'v0.8.0',
} as const;

/** Paths of the built control-plane binaries. */
export interface ClusterBinaries {
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  kine: string;
  kwok: string;
  /** kwok Stage objects (node initialise and heartbeat, pod lifecycle) of the same kwok release. */
  kwokStages: string;
}

/** `${XDG_CACHE_HOME:-$HOME/.cache}/smartscale`, where builds are kept between runs. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const base =
    env.XDG_CACHE_HOME && env.XDG_CACHE_HOME !== ''
      ? env.XDG_CACHE_HOME
      : join(homedir(), '.cache');
  return join(base, 'smartscale');
}

const MARKER = '.complete.json';

/** Oldest Go that builds every pinned version (kine v0.17.5 declares go 1.26.5). */
export const MINIMUM_GO = '1.26.5';

let goPath: string | undefined;

/**
 * The `go` command: $GO, else `go` on PATH, else the usual /usr/local/go.
 * Checked once against MINIMUM_GO so a missing or old toolchain fails with
 * what to do, not with a module error minutes into a build.
 */
function goBinary(): string {
  if (goPath) return goPath;
  const candidates = [process.env.GO, 'go', '/usr/local/go/bin/go'].filter((c): c is string => !!c);
  for (const candidate of candidates) {
    let version: string;
    try {
      version = execFileSync(candidate, ['env', 'GOVERSION'], {
        encoding: 'utf8',
        env: goEnv(),
      }).trim();
    } catch {
      continue;
    }
    if (compareGoVersions(version.replace(/^go/, ''), MINIMUM_GO) < 0) {
      throw new Error(
        `${candidate} is ${version}; the local control plane needs Go >= ${MINIMUM_GO} (set GO=/path/to/go)`,
      );
    }
    goPath = candidate;
    return candidate;
  }
  throw new Error(
    `No Go toolchain found (tried ${candidates.join(', ')}); install Go >= ${MINIMUM_GO} or set GO=/path/to/go`,
  );
}

/** Compares dotted Go versions numerically (`1.26.10` > `1.26.9`); pre-release suffixes are ignored. */
export function compareGoVersions(a: string, b: string): number {
  const parts = (v: string) =>
    v
      .split(/[^\d]+/)
      .filter(Boolean)
      .slice(0, 3)
      .map(Number);
  const [pa, pb] = [parts(a), parts(b)];
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function goEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    CGO_ENABLED: '0',
    // Never download another Go toolchain: only the module proxy is reachable.
    GOTOOLCHAIN: 'local',
    GOFLAGS: '-buildvcs=false -mod=mod',
    ...extra,
  };
}

function isComplete(dir: string, files: string[]): boolean {
  return existsSync(join(dir, MARKER)) && files.every((f) => existsSync(join(dir, f)));
}

async function buildOnce(
  name: string,
  version: string,
  files: string[],
  build: (dir: string) => Promise<void>,
): Promise<string> {
  const dir = join(cacheRoot(), `${name}-${version}`);
  if (isComplete(dir, files)) {
    log(`${name} ${version}: cached in ${dir}`);
    return dir;
  }
  mkdirSync(cacheRoot(), { recursive: true });
  const release = await acquireLock(join(cacheRoot(), `${name}-${version}.lock`), (holder) =>
    log(`${name} ${version}: waiting for another build (pid ${holder}) to finish`),
  );
  try {
    if (isComplete(dir, files)) return dir;
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, 'bin'), { recursive: true });
    const started = Date.now();
    log(
      `${name} ${version}: building ${files.join(', ')} (a first build can take several minutes)`,
    );
    await build(dir);
    const seconds = Math.round((Date.now() - started) / 1000);
    writeFileSync(
      join(dir, MARKER),
      JSON.stringify({ name, version, files, builtAt: new Date().toISOString(), seconds }, null, 2),
    );
    log(`${name} ${version}: built in ${formatElapsed(Date.now() - started)}`);
    return dir;
  } finally {
    release();
  }
}

async function goInstall(label: string, dir: string, pkg: string): Promise<void> {
  await runWithProgress(goBinary(), ['install', '-trimpath', '-ldflags=-s -w', pkg], {
    label,
    env: goEnv({ GOBIN: join(dir, 'bin') }),
  });
}

/**
 * Reads the `replace k8s.io/x => ./staging/src/k8s.io/x` lines of a
 * k8s.io/kubernetes go.mod: the staging modules that must be pinned to their
 * published v0.Y.Z twins for the module to build outside its repository.
 */
export function stagingModules(goMod: string): string[] {
  const found = new Set<string>();
  for (const match of goMod.matchAll(
    /^\s*(?:replace\s+)?(k8s\.io\/[\w.-]+)\s+=>\s+\.\/staging\//gm,
  )) {
    if (match[1]) found.add(match[1]);
  }
  return [...found].sort();
}

/** `v1.35.4` -> `v0.35.4`, the version the staging modules are published at. */
export function stagingVersion(kubernetesVersion: string): string {
  const m = /^v1\.(\d+\.\d+.*)$/.exec(kubernetesVersion);
  if (!m) throw new Error(`Expected a Kubernetes version like v1.35.4, got '${kubernetesVersion}'`);
  return `v0.${m[1]}`;
}

/** The go.mod of a wrapper module that can build the commands of k8s.io/kubernetes. */
export function wrapperGoMod(
  kubernetesVersion: string,
  staging: string[],
  goVersion: string,
): string {
  const v0 = stagingVersion(kubernetesVersion);
  return [
    'module smartscale.local/kubernetes-build',
    '',
    `go ${goVersion}`,
    '',
    `require k8s.io/kubernetes ${kubernetesVersion}`,
    '',
    'replace (',
    ...staging.map((m) => `\t${m} => ${m} ${v0}`),
    ')',
    '',
  ].join('\n');
}

const KWOK_STAGES_FILE = 'stages.yaml';

/**
 * kwok simulates nothing without Stage objects. Its release ships the usual
 * ones (fast node start, lease heartbeat, pod ready/complete/delete) in its
 * module; copy them from the module cache so they match the built binary.
 */
function writeKwokStages(dir: string, version: string): void {
  const info = JSON.parse(
    execFileSync(goBinary(), ['mod', 'download', '-json', `sigs.k8s.io/kwok@${version}`], {
      cwd: dir,
      env: goEnv(),
      encoding: 'utf8',
    }),
  ) as { Dir: string };
  const docs: string[] = [];
  for (const folder of ['node/fast', 'node/heartbeat-with-lease', 'pod/fast']) {
    const stageDir = join(info.Dir, 'kustomize', 'stage', folder);
    for (const file of readdirSync(stageDir).sort()) {
      if (!file.endsWith('.yaml') || file === 'kustomization.yaml') continue;
      docs.push(readFileSync(join(stageDir, file), 'utf8').trim());
    }
  }
  if (docs.length < 3)
    throw new Error(`Expected kwok stage files under ${info.Dir}/kustomize/stage`);
  writeFileSync(join(dir, KWOK_STAGES_FILE), `${docs.join('\n---\n')}\n`);
}

const KUBE_COMMANDS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const;

/**
 * Builds `commands` of Kubernetes `version` into `dir`/bin from a wrapper
 * module that pins the release's staging modules (see wrapperGoMod).
 */
async function buildKubernetes(
  dir: string,
  version: string,
  commands: readonly string[] = KUBE_COMMANDS,
): Promise<void> {
  const moduleDir = join(dir, 'module');
  mkdirSync(moduleDir, { recursive: true });
  log(`kubernetes ${version}: reading the release's go.mod from the module proxy`);
  const info = JSON.parse(
    execFileSync(goBinary(), ['mod', 'download', '-json', `k8s.io/kubernetes@${version}`], {
      cwd: moduleDir,
      env: goEnv(),
      encoding: 'utf8',
    }),
  ) as { GoMod: string };
  const releaseGoMod = readFileSync(info.GoMod, 'utf8');
  const staging = stagingModules(releaseGoMod);
  if (staging.length === 0) throw new Error(`No staging replaces found in ${info.GoMod}`);
  const goVersion = /^go\s+(\S+)/m.exec(releaseGoMod)?.[1] ?? '1.25.0';
  writeFileSync(join(moduleDir, 'go.mod'), wrapperGoMod(version, staging, goVersion));
  // Main packages cannot be imported for real; a build-tagged file lets
  // `go mod tidy` record their dependencies (the usual tools.go pattern).
  writeFileSync(
    join(moduleDir, 'tools.go'),
    [
      '//go:build tools',
      '',
      'package tools',
      '',
      'import (',
      ...commands.map((c) => `\t_ "k8s.io/kubernetes/cmd/${c}"`),
      ')',
      '',
    ].join('\n'),
  );
  await runWithProgress(goBinary(), ['mod', 'tidy'], {
    cwd: moduleDir,
    env: goEnv(),
    label: `kubernetes ${version}: resolving modules (go mod tidy)`,
  });
  const [major, minor] = version.replace(/^v/, '').split('.');
  const ldflags = ['-s', '-w'];
  for (const pkg of ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']) {
    ldflags.push(
      `-X ${pkg}.gitVersion=${version}`,
      `-X ${pkg}.gitMajor=${major}`,
      `-X ${pkg}.gitMinor=${minor}`,
      `-X ${pkg}.gitTreeState=clean`,
      `-X ${pkg}.buildDate=1970-01-01T00:00:00Z`,
    );
  }
  // One invocation for all commands so they share compiled packages.
  await runWithProgress(
    goBinary(),
    [
      'build',
      // -v prints each package as it is compiled: the progress lines show it.
      '-v',
      '-trimpath',
      `-ldflags=${ldflags.join(' ')}`,
      '-o',
      `${join(dir, 'bin')}/`,
      ...commands.map((c) => `k8s.io/kubernetes/cmd/${c}`),
    ],
    {
      cwd: moduleDir,
      env: goEnv(),
      label: `kubernetes ${version}: go build ${commands.join(' ')}`,
    },
  );
}

/**
 * Builds (or finds in the cache) kube-apiserver, kube-controller-manager,
 * kube-scheduler, kine and kwok. Safe to call from several processes: each
 * build holds a lock file, and a finished build is reused.
 *
 * @example
 * const bins = await ensureClusterBinaries();
 * spawn(bins.kubeApiserver, ['--version']);
 */
export async function ensureClusterBinaries(
  versions: typeof CLUSTER_VERSIONS = CLUSTER_VERSIONS,
): Promise<ClusterBinaries> {
  const kine = await buildOnce('kine', versions.kine, ['bin/kine'], (dir) =>
    goInstall(`kine ${versions.kine}`, dir, `github.com/k3s-io/kine@${versions.kine}`),
  );
  const kwok = await buildOnce(
    'kwok',
    versions.kwok,
    ['bin/kwok', KWOK_STAGES_FILE],
    async (dir) => {
      await goInstall(`kwok ${versions.kwok}`, dir, `sigs.k8s.io/kwok/cmd/kwok@${versions.kwok}`);
      writeKwokStages(dir, versions.kwok);
    },
  );
  const kube = await buildOnce(
    'kubernetes',
    versions.kubernetes,
    KUBE_COMMANDS.map((c) => `bin/${c}`),
    (dir) => buildKubernetes(dir, versions.kubernetes),
  );
  return {
    kubeApiserver: join(kube, 'bin', 'kube-apiserver'),
    kubeControllerManager: join(kube, 'bin', 'kube-controller-manager'),
    kubeScheduler: join(kube, 'bin', 'kube-scheduler'),
    kine: join(kine, 'bin', 'kine'),
    kwok: join(kwok, 'bin', 'kwok'),
    kwokStages: join(kwok, KWOK_STAGES_FILE),
  };
}

/**
 * Builds (or finds in the cache) kubectl at the control plane's version, for
 * `npm start` and its walkthrough (Debian's kubernetes-client is 1.20, too
 * old). Its own cache folder, so adding it never rebuilds the control plane;
 * the Go build cache the control plane left makes it a few minutes.
 *
 * @example
 * execFileSync(await ensureKubectl(), ['version', '--client']);
 */
export async function ensureKubectl(
  version: string = CLUSTER_VERSIONS.kubernetes,
): Promise<string> {
  const dir = await buildOnce('kubectl', version, ['bin/kubectl'], (d) =>
    buildKubernetes(d, version, ['kubectl']),
  );
  return join(dir, 'bin', 'kubectl');
}
