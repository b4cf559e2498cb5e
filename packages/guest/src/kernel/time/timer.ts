/**
 * @module
 * kernel/time/timer.c and include/linux/jiffies.h: jiffies at HZ=250 (Debian's CONFIG_HZ_250) and the timer
 * wheel's rounding: calc_wheel_index() puts a timer in the bucket `((expires >> LVL_SHIFT(lvl)) + 1) <<
 * LVL_SHIFT(lvl)`, so it fires one level-granule after its expiry at the latest; add_timer(), msleep()
 * (msecs_to_jiffies(ms) + 1 jiffies) and schedule_timeout().
 */
import { type KGen, type KernelRuntime, type Timer, rt } from '../../include/linux/sched.js';

/** CONFIG_HZ: Debian's CONFIG_HZ_250 */
export const HZ = 250;
/** TICK_NSEC: one jiffy in ns */
export const TICK_NSEC = 1_000_000_000 / HZ;
/** include/linux/jiffies.h: INITIAL_JIFFIES = (unsigned long)(unsigned int)(-300 * HZ) */
export const INITIAL_JIFFIES = 2 ** 32 - 300 * HZ;

const LVL_CLK_SHIFT = 3;
const LVL_BITS = 6;
const LVL_SIZE = 1 << LVL_BITS;
/** LVL_DEPTH is 9 for HZ > 100 */
const LVL_DEPTH = 9;
const lvlShift = (n: number) => n * LVL_CLK_SHIFT;
const lvlStart = (n: number) => (LVL_SIZE - 1) * 2 ** ((n - 1) * LVL_CLK_SHIFT);

/** msecs_to_jiffies() for HZ=250 (HZ divides 1000: round up) */
export function msecsToJiffies(ms: number): number {
  return Math.ceil(ms / (1000 / HZ));
}

/**
 * calc_wheel_index() + calc_index(): the jiffy at which the wheel runs a timer that expires at `expires`,
 * armed when the base clock is `clk`. Level 0 (deltas below 63 jiffies) fires at expires + 1; level n
 * rounds up to the next multiple of 8^n.
 */
export function timerBucketExpiry(expires: number, clk: number): number {
  const delta = expires - clk;
  let lvl = 0;
  while (lvl < LVL_DEPTH - 1 && delta >= lvlStart(lvl + 1)) lvl++;
  const g = 2 ** lvlShift(lvl);
  return (Math.floor(expires / g) + 1) * g;
}



/** msleep(): schedule_timeout_uninterruptible(msecs_to_jiffies(ms) + 1) */
export function* msleep(k: KernelRuntime, ms: number, why = `msleep(${ms})`): KGen {
  const timeout = msecsToJiffies(ms) + 1;
  const now = k.jiffies();
  const bucket = timerBucketExpiry(now + timeout, now);
  yield { op: 'sleep', until: k.timeOfJiffy(bucket), why };
}

/** schedule_timeout() in ns resolution for code that sleeps on its own clock (e.g. usleep_range) */
export function* sleepUntil(k: KernelRuntime, t: number, why: string): KGen {
  yield { op: 'sleep', until: t, why };
}

/** add_timer() with timer->expires = `expires` (jiffies) */
export function addTimer(k: KernelRuntime, expires: number, fn: () => void): Timer {
  const clk = k.jiffies();
  const t: Timer = { id: rt(k).nextId++, expires, fireAt: k.timeOfJiffy(timerBucketExpiry(expires, clk)), fn, cancelled: false };
  rt(k).timers.push(t);
  return t;
}
