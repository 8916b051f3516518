/**
 * SmartScale's default policy with every duration divided by `speed`, so a
 * trace plays `speed` times faster than real time and the policy sees the
 * same situation at the same trace time.
 *
 * @example
 * compressedConfig(60).scaleUp.cooldownSeconds // 5 (300 s of trace time)
 */
export function compressedConfig(speed: number) {
  const s = (seconds: number, min = 1) => Math.max(min, Math.round(seconds / speed));
  return {
    workers: { min: 2, max: 10 },
    scaleUp: {
      cpuSustainSeconds: s(180, 3),
      pendingGraceSeconds: s(10),
      cooldownSeconds: s(300),
    },
    scaleDown: {
      sustainSeconds: s(600, 5),
      cooldownSeconds: s(600),
      minNodeAgeSeconds: s(600),
      drainTimeoutSeconds: s(600, 10),
    },
    instance: { bootSeconds: s(90) },
    join: { timeoutSeconds: s(600, 10) },
    // Two sampling intervals of trace time, but at least 10 s of wall clock:
    // the local pipeline (moto, polling queue runners, 2 cores) lags seconds,
    // and that lag must not read as a stale sample.
    samples: { maxAgeSeconds: s(120, 10) },
    reconcile: { graceSeconds: s(120, 5) },
    // At least 10 s of wall clock: a new kwok worker's load reaches the
    // exporter within 2 s, a scrape and a 5 s rate window later.
    metrics: { warmupSeconds: s(120, 10) },
  };
}
