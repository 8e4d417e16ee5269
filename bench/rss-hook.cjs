// Preloaded by the bench (node --require bench/rss-hook.cjs ...): at exit, writes the
// process's peak RSS and CPU time to $BENCH_RSS_FILE as one JSON object. A CommonJS file so
// that --require loads it before the ESM entry point; it costs one small file read.
'use strict';
const file = process.env.BENCH_RSS_FILE;
if (file) {
  process.on('exit', () => {
    const u = process.resourceUsage();
    require('node:fs').writeFileSync(file, JSON.stringify({ maxRssKiB: u.maxRSS, cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000 }));
  });
}
