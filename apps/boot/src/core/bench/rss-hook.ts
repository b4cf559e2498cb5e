/**
 * @module
 * Preloaded (`node --import`) into a process `pcisim bench` spawns: reports the process's peak RSS on exit.
 */
process.on('exit', () => {
  process.stderr.write(`\npcisim-bench-maxrss=${process.resourceUsage().maxRSS}\n`);
});
