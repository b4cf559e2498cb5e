/*
 * kvm-exits-check: an independent check of `pcisim calibrate`'s two main figures, the cost of a port-I/O exit
 * and of an MMIO exit to userspace, measured another way on the same /dev/kvm (scripts/calibrate-check.mjs
 * runs both, interleaved; docs/costs.md reports the figures):
 *
 *                 pcisim calibrate (apps/boot/native/kvm-calibrate.c)   this program
 *   guest mode    64-bit long mode, CPL0                                 16-bit real mode
 *   clock         the host's CLOCK_MONOTONIC around each KVM_RUN         the guest's own rdtsc, before and after a batch
 *   statistic     median of single exits                                 (median of batches of 40 − median of batches of 10) / 30
 *   loop          nop; dec rcx; jnz                                      dec cx; jnz
 *
 * As reference/costs/kvm-exits.json, rows are nanoseconds per guest operation including re-entry, minus the
 * guest's empty loop (null_loop). TSC ticks become nanoseconds by KVM_GET_TSC_KHZ.
 *
 * Build and run: cc -O2 -o /tmp/kvm-exits-check scripts/kvm-exits-check.c && /tmp/kvm-exits-check
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define RAM_SIZE 0x80000u /* 512 KiB from 0: 0xd0000 has no memslot, so loads and stores there exit */
#define CODE 0x1000
#define RESULT 0x500
#define DONE_PORT 0x5f0
#define SHORT 10   /* exits in a short batch; a long one has LONG: their medians' difference over LONG-SHORT is */
#define LONG 40    /* one exit, without the rdtsc pair and the register set-up a batch costs besides its exits */
#define BATCHES 301

static int vcpu_fd;
static struct kvm_run *run;
static uint8_t *ram;

static void die(const char *what) {
  fprintf(stderr, "kvm-exits-check: %s: %s\n", what, strerror(errno));
  exit(1);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* rdtsc; store; <op>; dec cx; jnz; rdtsc; store; out DONE_PORT */
static void put_code(const uint8_t *op, int len) {
  uint8_t *p = ram + CODE;
  const uint8_t head[] = {0x0f, 0x31, 0x66, 0x89, 0x05, 0x66, 0x89, 0x55, 0x04, 0x89, 0xf2};
  memcpy(p, head, sizeof head);
  p += sizeof head;
  memcpy(p, op, len);
  p += len;
  const uint8_t tail[] = {0x49, 0x75, (uint8_t)(-(len + 3)), 0x0f, 0x31, 0x66, 0x89, 0x45, 0x08, 0x66, 0x89, 0x55, 0x0c,
                          0xba, DONE_PORT & 0xff, DONE_PORT >> 8, 0xee, 0xf4};
  memcpy(p, tail, sizeof tail);
}

/* One batch of n turns; returns guest TSC ticks. */
static uint64_t batch(unsigned n, unsigned port) {
  struct kvm_regs r;
  memset(&r, 0, sizeof r);
  r.rip = CODE;
  r.rcx = n;
  r.rsi = port;
  r.rdi = RESULT;
  r.rflags = 2;
  if (ioctl(vcpu_fd, KVM_SET_REGS, &r) < 0) die("KVM_SET_REGS");
  for (;;) {
    if (ioctl(vcpu_fd, KVM_RUN, 0) < 0 && errno != EINTR) die("KVM_RUN");
    if (run->exit_reason == KVM_EXIT_IO) {
      if (run->io.port == DONE_PORT) break;
      if (run->io.direction == KVM_EXIT_IO_IN) memset((uint8_t *)run + run->io.data_offset, 0xff, run->io.size * run->io.count);
    } else if (run->exit_reason == KVM_EXIT_MMIO) {
      if (!run->mmio.is_write) memset(run->mmio.data, 0xff, sizeof run->mmio.data);
    } else if (run->exit_reason != KVM_EXIT_INTR) {
      fprintf(stderr, "kvm-exits-check: unexpected exit reason %u\n", run->exit_reason);
      exit(1);
    }
  }
  uint64_t t0, t1;
  memcpy(&t0, ram + RESULT, 8);
  memcpy(&t1, ram + RESULT + 8, 8);
  return t1 - t0;
}

static double median_ticks(unsigned n, unsigned port) {
  double s[BATCHES];
  for (int i = 0; i < BATCHES; i++) s[i] = (double)batch(n, port);
  qsort(s, BATCHES, sizeof *s, cmp_double);
  return s[BATCHES / 2];
}

/* Ticks per turn: the difference of the median short and long batch, over the turns between them. Short
 * batches (tens of µs), so that on a busy host most of them run without being preempted. */
static double measure(const uint8_t *op, int len, unsigned port, unsigned scale) {
  put_code(op, len);
  for (int i = 0; i < 5; i++) batch(LONG * scale, port); /* warm-up */
  double a = median_ticks(SHORT * scale, port), b = median_ticks(LONG * scale, port);
  return (b - a) / (double)((LONG - SHORT) * scale);
}

int main(void) {
  int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (kvm < 0) die("open /dev/kvm");
  int vm = ioctl(kvm, KVM_CREATE_VM, 0);
  if (vm < 0) die("KVM_CREATE_VM");
  ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (ram == MAP_FAILED) die("mmap");
  struct kvm_userspace_memory_region m = {.slot = 0, .guest_phys_addr = 0, .memory_size = RAM_SIZE, .userspace_addr = (uint64_t)(uintptr_t)ram};
  if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &m) < 0) die("KVM_SET_USER_MEMORY_REGION");
  if ((vcpu_fd = ioctl(vm, KVM_CREATE_VCPU, 0)) < 0) die("KVM_CREATE_VCPU");
  run = mmap(NULL, (size_t)ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0), PROT_READ | PROT_WRITE, MAP_SHARED, vcpu_fd, 0);
  if (run == MAP_FAILED) die("mmap kvm_run");
  int khz = ioctl(vcpu_fd, KVM_GET_TSC_KHZ, 0);
  if (khz <= 0) die("KVM_GET_TSC_KHZ");

  struct kvm_sregs sr;
  if (ioctl(vcpu_fd, KVM_GET_SREGS, &sr) < 0) die("KVM_GET_SREGS");
  sr.cs.base = 0;
  sr.cs.selector = 0;
  sr.ds.base = 0;
  sr.ds.selector = 0;
  sr.es.base = 0xd0000;
  sr.es.selector = 0xd000;
  if (ioctl(vcpu_fd, KVM_SET_SREGS, &sr) < 0) die("KVM_SET_SREGS");

  static const uint8_t NONE[] = {0x90};
  static const uint8_t OUT[] = {0x66, 0xef};             /* out dx, eax */
  static const uint8_t IN[] = {0x66, 0xed};              /* in eax, dx */
  static const uint8_t LOAD[] = {0x26, 0x66, 0x8b, 0x07}; /* mov eax, es:[bx] */
  static const uint8_t STORE[] = {0x26, 0x66, 0x89, 0x07}; /* mov es:[bx], eax */
  double ns = 1e6 / khz;
  double null = measure(NONE, sizeof NONE, 0, 10) * ns;
  double out = measure(OUT, sizeof OUT, 0xcf8, 1) * ns - null;
  double in = measure(IN, sizeof IN, 0xcfc, 1) * ns - null;
  double rd = measure(LOAD, sizeof LOAD, 0, 1) * ns - null;
  double wr = measure(STORE, sizeof STORE, 0, 1) * ns - null;
  printf("{\"schema\": \"pcisim.kvm-exits-check/1\", \"mode\": \"real16\", \"tscKHz\": %d, \"batches\": [%d, %d], \"repeats\": %d, \"ns\": "
         "{\"null_loop\": %.1f, \"pio_out_user\": %.1f, \"pio_in_user\": %.1f, \"mmio_read_user\": %.1f, \"mmio_write_user\": %.1f}}\n",
         khz, SHORT, LONG, BATCHES, null, out, in, rd, wr);
  return 0;
}
