import { describe, expect, it } from 'vitest';
import { Kernel } from '../src/kernel/sched/core.js';
import type { KGen } from '../src/include/linux/sched.js';
import { DelayedWork } from '../src/kernel/workqueue.js';
import { HZ, INITIAL_JIFFIES, TICK_NSEC, msecsToJiffies, timerBucketExpiry } from '../src/kernel/time/timer.js';
import type { Cpu } from '../src/cpu.js';

/** A CPU with a clock and nothing behind its ports. */
function fakeCpu(): Cpu & { t: number; pio: number } {
  const c = {
    t: 0,
    pio: 0,
    inb: () => (c.pio++, 0xff),
    inw: () => (c.pio++, 0xffff),
    inl: () => (c.pio++, 0xffffffff),
    outb: () => void c.pio++,
    outw: () => void c.pio++,
    outl: () => void c.pio++,
    readb: () => 0xff,
    readw: () => 0xffff,
    readl: () => 0xffffffff,
    writeb: () => {},
    writew: () => {},
    writel: () => {},
    cpuid: () => ({ eax: 0, ebx: 0, ecx: 0, edx: 0 }),
    now: () => c.t,
    sleepNs: (ns: number) => {
      c.t += ns;
    },
  };
  return c;
}

describe('jiffies and the timer wheel (HZ=250, kernel/time/timer.c)', () => {
  it('msecs_to_jiffies rounds up to 4 ms ticks', () => {
    expect(HZ).toBe(250);
    expect(msecsToJiffies(20)).toBe(5);
    expect(msecsToJiffies(100)).toBe(25);
    expect(msecsToJiffies(1000)).toBe(250);
    expect(msecsToJiffies(10)).toBe(3);
  });

  it('calc_index(): level 0 fires one jiffy after expiry, level 1 rounds to 8, level 2 to 64', () => {
    const clk = 1000 * 64;
    expect(timerBucketExpiry(clk + 6, clk)).toBe(clk + 7);
    expect(timerBucketExpiry(clk + 251, clk)).toBe(Math.floor((clk + 251) / 8) * 8 + 8);
    expect(timerBucketExpiry(clk + 1250, clk)).toBe(Math.floor((clk + 1250) / 64) * 64 + 64);
  });

  it('msleep(20) sleeps msecs_to_jiffies(20) + 1 = 6 jiffies, fired at the 7th tick: 24-28 ms', () => {
    for (const phase of [0, 1, 2_000_000, TICK_NSEC - 1]) {
      const cpu = fakeCpu();
      cpu.t = 50 * TICK_NSEC + phase;
      const k = new Kernel(cpu);
      let woke = 0;
      k.spawn('t', 'kthread', function* (): KGen {
        yield* k.msleep(20);
        woke = k.now();
      });
      k.run();
      const slept = woke - (50 * TICK_NSEC + phase);
      expect(slept).toBeGreaterThan(24_000_000);
      expect(slept).toBeLessThanOrEqual(28_000_000);
    }
  });

  it('jiffies start at INITIAL_JIFFIES', () => {
    const k = new Kernel(fakeCpu());
    expect(k.jiffies(0)).toBe(INITIAL_JIFFIES);
    expect(k.jiffies(TICK_NSEC * 3 + 1)).toBe(INITIAL_JIFFIES + 3);
  });
});

describe('delayed work and interrupts', () => {
  it('a 5*HZ delayed work runs at its wheel bucket, and cancel_delayed_work() stops it', () => {
    const k = new Kernel(fakeCpu());
    let ran = -1;
    const dw = new DelayedWork('button_work', function* (): KGen {
      ran = k.now();
    });
    expect(k.queueDelayedWork(dw, 5 * HZ)).toBe(true);
    expect(k.queueDelayedWork(dw, 5 * HZ)).toBe(false); // already pending
    k.run();
    expect(ran).toBeGreaterThanOrEqual(5e9);
    expect(ran).toBeLessThanOrEqual(5e9 + 64 * TICK_NSEC);

    const k2 = new Kernel(fakeCpu());
    let ran2 = false;
    const dw2 = new DelayedWork('b', function* (): KGen {
      ran2 = true;
    });
    k2.queueDelayedWork(dw2, 5 * HZ);
    k2.atHost(1e9, () => expect(k2.cancelDelayedWork(dw2)).toBe(true));
    k2.run();
    expect(ran2).toBe(false);
  });

  it('a threaded interrupt: the handler runs at once, its thread when the CPU is free', () => {
    const k = new Kernel(fakeCpu());
    k.irqsEnabled = true;
    const order: string[] = [];
    k.requestThreadedIrq(
      'msi:x',
      'drv',
      () => {
        order.push('isr');
        return 'WAKE_THREAD';
      },
      function* (): KGen {
        order.push('thread');
      },
    );
    k.atHost(1000, () => k.raiseIrq('msi:x'));
    k.run();
    expect(order).toEqual(['isr', 'thread']);
  });

  it('printk to ttyS0 writes every character to the UART (2 port accesses each, \\n as \\r\\n)', () => {
    const cpu = fakeCpu();
    const k = new Kernel(cpu, { serialConsole: true });
    k.printk('ab');
    // "[    0.000000] ab\n" = 18 characters, + '\r': 19 × 2, plus IER save/clear, the final LSR read, IER restore
    expect(cpu.pio).toBe(19 * 2 + 4);
    expect(k.log[0]!.text).toBe('ab');
  });
});
