/*
 * kvm-calibrate: times, on this host's /dev/kvm, each event pcisim's cost model charges (@sim/kvm CostTable),
 * with a tiny 64-bit guest (long mode, CPL0: a guest kernel's view) that loops over one kind of access.
 * `pcisim calibrate` builds it with the system's cc on first use, runs it, and turns its rows into a cost
 * profile (apps/boot/src/core/calibrate.ts); it prints one JSON object on stdout. Nothing here is pcisim-
 * specific: it is the KVM API (Documentation/virt/kvm/api.rst) and nothing else.
 *
 * Method: every row is warmed up first, then sampled; the output gives median, p10 and p90 of the samples.
 *  - an exit to userspace (KVM_EXIT_IO, KVM_EXIT_MMIO): one sample per exit, the host's CLOCK_MONOTONIC
 *    between two returns of KVM_RUN (an exit during which the host ran something else is an outlier, which
 *    the median ignores and p90 may show); the time includes this program's handling, as QEMU's would (minimal
 *    here), and one turn of the guest's loop (the null_loop row, which the profile subtracts);
 *  - an access that does not leave the kernel (ioeventfd, coalesced MMIO/PIO, in-kernel PIC, RAM): one sample
 *    per pair of runs of n and 6n turns, their difference over 5n (what a run costs besides its turns cancels
 *    out), minus the same pair of runs of the empty loop right after, timed with this thread's CPU clock (CLOCK_THREAD_CPUTIME_ID), so that the time other processes of
 *    a busy host hold the CPU is not counted;
 *  - first touch of a KVM_MEM_READONLY page: a fresh read-only slot, one pass reading one byte every 64 KiB
 *    (beyond KVM's 8-SPTE prefetch, so every touch is its own fault) minus a second pass over the same pages,
 *    CPU time;
 *  - a memslot update: one KVM_SET_USER_MEMORY_REGION ioctl (create or delete of that slot), timed alone.
 *
 * Usage: kvm-calibrate [scale]   (scale multiplies the sample counts; default 1, a few seconds)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define RAM_SIZE (2u << 20)
#define PML4 0x1000
#define GDT 0x500
#define CODE 0x10000         /* each row's loop gets its own 256 bytes from here */
#define RAM_DATA 0x20000     /* a page of ordinary RAM the ram_read row loads from */
#define DONE_PORT 0x5f0      /* the guest writes here when its loop ends */
#define PIO_USER 0xcf8       /* no device: KVM_EXIT_IO (0xcf8/0xcfc, as a conf1 access) */
#define PIO_EVENTFD 0x5f4
#define MMIO_USER 0xe0000000ull /* no memslot: KVM_EXIT_MMIO */
#define MMIO_EVENTFD 0xe1000000ull
#define MMIO_COALESCED 0xe2000000ull
#define RO_BASE 0x40000000ull
#define RO_SIZE (16u << 20)
#define RO_STRIDE (64u << 10)
#define PIC_PORT 0x21

static int kvm_fd, vm_fd, vcpu_fd;
static struct kvm_run *run;
static uint8_t *ram;
static struct kvm_coalesced_mmio_ring *ring;
static int code_slot;

static void die(const char *what) {
  printf("{\"error\": \"%s: %s\"}\n", what, strerror(errno));
  exit(1);
}

static uint64_t clock_ns(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double pct(const double *sorted, int n, double p) {
  double i = p * (n - 1);
  int lo = (int)i;
  if (lo >= n - 1) return sorted[n - 1];
  return sorted[lo] + (sorted[lo + 1] - sorted[lo]) * (i - lo);
}

static int rows_out;
static void row(const char *name, const char *kind, double *s, int n, long ops, const char *desc) {
  qsort(s, n, sizeof *s, cmp_double);
  printf("%s\n  {\"name\": \"%s\", \"kind\": \"%s\", \"samples\": %d, \"ops\": %ld, \"median\": %.1f, \"p10\": %.1f, "
         "\"p90\": %.1f, \"desc\": \"%s\"}",
         rows_out++ ? "," : "", name, kind, n, ops, pct(s, n, 0.5), pct(s, n, 0.1), pct(s, n, 0.9), desc);
}

/* One row's guest loop at its own address: `op; dec rcx; jnz op; mov edx, DONE_PORT; out dx, al; hlt`. */
static uint64_t put_loop(const uint8_t *op, int len) {
  uint64_t at = CODE + (uint64_t)(code_slot++) * 256;
  uint8_t *p = ram + at;
  memcpy(p, op, len);
  p += len;
  const uint8_t tail[] = {0x48, 0xff, 0xc9, 0x75, (uint8_t)(-(len + 5)), 0xba, DONE_PORT & 0xff, DONE_PORT >> 8, 0, 0, 0xee, 0xf4};
  memcpy(p, tail, sizeof tail);
  return at;
}

static void set_regs(uint64_t rip, uint64_t rcx, uint64_t rdx, uint64_t rbx, uint64_t rsi) {
  struct kvm_regs r;
  memset(&r, 0, sizeof r);
  r.rip = rip;
  r.rcx = rcx;
  r.rdx = rdx;
  r.rbx = rbx;
  r.rsi = rsi;
  r.rsp = 0x9000;
  r.rflags = 2;
  if (ioctl(vcpu_fd, KVM_SET_REGS, &r) < 0) die("KVM_SET_REGS");
}

/* Handles one exit; returns 1 when the guest's loop is done. */
static int handle_exit(void) {
  switch (run->exit_reason) {
  case KVM_EXIT_IO:
    if (run->io.port == DONE_PORT) return 1;
    if (run->io.direction == KVM_EXIT_IO_IN) memset((uint8_t *)run + run->io.data_offset, 0xff, run->io.size * run->io.count);
    break;
  case KVM_EXIT_MMIO:
    if (!run->mmio.is_write) memset(run->mmio.data, 0xff, sizeof run->mmio.data);
    break;
  case KVM_EXIT_INTR:
    break;
  default:
    errno = EPROTO;
    fprintf(stderr, "kvm-calibrate: unexpected exit reason %u\n", run->exit_reason);
    die("KVM_RUN");
  }
  if (ring) ring->first = ring->last; /* drain the coalesced ring, as QEMU does on every exit */
  return 0;
}

static uint64_t now_ns(void) { return clock_ns(CLOCK_MONOTONIC); }
/* The time this thread ran (host and guest mode alike): what a run costs, without the time other processes
 * of a busy host took the CPU away from it. */
static uint64_t cpu_ns(void) { return clock_ns(CLOCK_THREAD_CPUTIME_ID); }

/* Runs the loop at `rip` for `n` turns; returns the CPU time of the whole run (ns). */
static uint64_t run_loop(uint64_t rip, long n, uint64_t rdx, uint64_t rbx, uint64_t rsi) {
  set_regs(rip, n, rdx, rbx, rsi);
  uint64_t t0 = cpu_ns();
  for (;;) {
    if (ioctl(vcpu_fd, KVM_RUN, 0) < 0 && errno != EINTR) die("KVM_RUN");
    if (handle_exit()) break;
  }
  return cpu_ns() - t0;
}

/* An exit to userspace per turn: one sample per exit, between two KVM_RUN returns. */
static void userspace_row(const char *name, const uint8_t *op, int len, uint64_t rdx, uint64_t rbx, long warm, long n, int exits_per_op, const char *desc) {
  uint64_t rip = put_loop(op, len);
  run_loop(rip, warm, rdx, rbx, 0);
  double *s = malloc(sizeof(double) * (size_t)n);
  set_regs(rip, n, rdx, rbx, 0);
  uint64_t last = now_ns();
  long i = 0, exits = 0;
  for (;;) {
    if (ioctl(vcpu_fd, KVM_RUN, 0) < 0 && errno != EINTR) die("KVM_RUN");
    uint64_t t = now_ns();
    if (handle_exit()) break;
    /* a pair of exits per turn (0xcf8 then 0xcfc): one sample per pair */
    if (++exits % exits_per_op == 0 && i < n) {
      s[i++] = (double)(t - last);
      last = t;
    }
  }
  row(name, "per-exit", s, (int)i, n, desc);
  free(s);
}

/*
 * No exit to userspace per turn: pairs of runs of n and 6n turns, back to back; the pair's difference over 5n
 * turns cancels what a run costs besides its turns (KVM_SET_REGS, the entry, the exit at the end). Each pair
 * is followed by the same pair of the empty loop, whose difference is subtracted: a sample is the access
 * alone. CPU time (run_loop), so a pair is not inflated by the time the host ran something else.
 */
static uint64_t null_rip;
static void kernel_row(const char *name, const uint8_t *op, int len, uint64_t rdx, uint64_t rbx, int pairs, long n, const char *desc) {
  uint64_t rip = put_loop(op, len);
  run_loop(rip, n * 6, rdx, rbx, 0);
  double *s = malloc(sizeof(double) * (size_t)pairs);
  for (int r = 0; r < pairs; r++) {
    double a = (double)run_loop(rip, n, rdx, rbx, 0);
    double b = (double)run_loop(rip, n * 6, rdx, rbx, 0);
    double na = (double)run_loop(null_rip, n, 0, 0, 0);
    double nb = (double)run_loop(null_rip, n * 6, 0, 0, 0);
    s[r] = ((b - a) - (nb - na)) / (double)(n * 5);
  }
  row(name, "per-pair", s, pairs, n * 5, desc);
  free(s);
}

/* The empty loop itself, as the userspace rows' samples include one turn of it. */
static void null_row(int pairs, long n) {
  static const uint8_t NOP[] = {0x90};
  null_rip = put_loop(NOP, sizeof NOP);
  run_loop(null_rip, n * 6, 0, 0, 0);
  double *s = malloc(sizeof(double) * (size_t)pairs);
  for (int r = 0; r < pairs; r++) {
    double a = (double)run_loop(null_rip, n, 0, 0, 0);
    double b = (double)run_loop(null_rip, n * 6, 0, 0, 0);
    s[r] = (b - a) / (double)(n * 5);
  }
  row("null_loop", "per-pair", s, pairs, n * 5, "the guest loop alone (nop; dec; jnz), per turn: subtracted from the userspace-exit rows");
  free(s);
}

static void set_slot(int slot, uint32_t flags, uint64_t gpa, uint64_t size, void *hva) {
  struct kvm_userspace_memory_region m = {.slot = (uint32_t)slot, .flags = flags, .guest_phys_addr = gpa, .memory_size = size, .userspace_addr = (uint64_t)(uintptr_t)hva};
  if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &m) < 0) die("KVM_SET_USER_MEMORY_REGION");
}

static void setup_long_mode(void) {
  uint64_t *pml4 = (uint64_t *)(ram + PML4), *pdpt = (uint64_t *)(ram + PML4 + 0x1000);
  pml4[0] = (PML4 + 0x1000) | 3;
  for (uint64_t i = 0; i < 4; i++) {
    uint64_t *pd = (uint64_t *)(ram + PML4 + 0x2000 + i * 0x1000);
    pdpt[i] = (PML4 + 0x2000 + i * 0x1000) | 3;
    for (uint64_t j = 0; j < 512; j++) pd[j] = ((i << 30) | (j << 21)) | 0x83; /* present, writable, 2 MiB */
  }
  uint64_t *gdt = (uint64_t *)(ram + GDT);
  gdt[0] = 0;
  gdt[1] = 0x00af9a000000ffffull; /* 64-bit code */
  gdt[2] = 0x00cf92000000ffffull; /* data */

  struct kvm_sregs sr;
  if (ioctl(vcpu_fd, KVM_GET_SREGS, &sr) < 0) die("KVM_GET_SREGS");
  struct kvm_segment cs = {.base = 0, .limit = 0xffffffff, .selector = 8, .type = 11, .present = 1, .dpl = 0, .db = 0, .s = 1, .l = 1, .g = 1};
  struct kvm_segment ds = {.base = 0, .limit = 0xffffffff, .selector = 16, .type = 3, .present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1};
  sr.cs = cs;
  sr.ds = sr.es = sr.fs = sr.gs = sr.ss = ds;
  sr.gdt.base = GDT;
  sr.gdt.limit = 23;
  sr.cr3 = PML4;
  sr.cr4 = 0x20;              /* PAE */
  sr.cr0 = 0x80050033;        /* PG WP NE ET MP PE */
  sr.efer = 0x500;            /* LMA LME */
  if (ioctl(vcpu_fd, KVM_SET_SREGS, &sr) < 0) die("KVM_SET_SREGS");
}

int main(int argc, char **argv) {
  double scale = argc > 1 ? atof(argv[1]) : 1.0;
  if (scale <= 0) scale = 1.0;
  long N_USER = (long)(20000 * scale);
  const long N_KERN = 200; /* turns of the short run of a pair */
  int PAIRS = (int)(61 * scale) | 1;
  int ROUNDS = (int)(41 * scale) | 1; /* fresh read-only slots */
  if (ROUNDS > 61) ROUNDS = 61;
  if (ROUNDS < 5) ROUNDS = 5;

  if ((kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC)) < 0) die("open /dev/kvm");
  int api = ioctl(kvm_fd, KVM_GET_API_VERSION, 0);
  if ((vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0)) < 0) die("KVM_CREATE_VM");
  ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (ram == MAP_FAILED) die("mmap");
  set_slot(0, 0, 0, RAM_SIZE, ram);
  int irqchip = ioctl(vm_fd, KVM_CREATE_IRQCHIP, 0) == 0; /* the in-kernel i8259 answers port 0x21 */
  if ((vcpu_fd = ioctl(vm_fd, KVM_CREATE_VCPU, 0)) < 0) die("KVM_CREATE_VCPU");
  int run_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
  run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu_fd, 0);
  if (run == MAP_FAILED) die("mmap kvm_run");

  /* long mode needs CPUID.LM in the guest's CPUID (kvm_valid_efer) */
  struct {
    struct kvm_cpuid2 c;
    struct kvm_cpuid_entry2 e[256];
  } cpuid = {.c.nent = 256};
  if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, &cpuid) < 0) die("KVM_GET_SUPPORTED_CPUID");
  if (ioctl(vcpu_fd, KVM_SET_CPUID2, &cpuid) < 0) die("KVM_SET_CPUID2");
  setup_long_mode();
  int tsc_khz = ioctl(vcpu_fd, KVM_GET_TSC_KHZ, 0);

  /* in-kernel devices: ioeventfds on a port and an MMIO address, a coalesced MMIO zone and (if the kernel
   * has coalesced PIO) a coalesced port at 0xcf8's neighbour, as QEMU coalesces the conf1 address port */
  int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  struct kvm_ioeventfd io_pio = {.addr = PIO_EVENTFD, .len = 4, .fd = efd, .flags = KVM_IOEVENTFD_FLAG_PIO};
  struct kvm_ioeventfd io_mmio = {.addr = MMIO_EVENTFD, .len = 4, .fd = efd};
  int have_iofd = ioctl(vm_fd, KVM_IOEVENTFD, &io_pio) == 0 && ioctl(vm_fd, KVM_IOEVENTFD, &io_mmio) == 0;
  int coalesced_page = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_MMIO);
  int have_cpio = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_PIO) > 0;
  int have_cmmio = 0;
  if (coalesced_page > 0) {
    ring = (struct kvm_coalesced_mmio_ring *)((uint8_t *)run + coalesced_page * getpagesize());
    struct kvm_coalesced_mmio_zone z = {.addr = MMIO_COALESCED, .size = 0x1000};
    have_cmmio = ioctl(vm_fd, KVM_REGISTER_COALESCED_MMIO, &z) == 0;
    struct kvm_coalesced_mmio_zone zp = {.addr = PIO_EVENTFD + 8, .size = 4, .pio = 1};
    have_cpio = have_cpio && ioctl(vm_fd, KVM_REGISTER_COALESCED_MMIO, &zp) == 0;
  }

  printf("{\"schema\": \"pcisim.kvm-calibrate/1\", \"api\": %d, \"tscKHz\": %d, \"irqchip\": %s, \"mode\": \"long64_cpl0\", \"rows\": [", api, tsc_khz, irqchip ? "true" : "false");

  static const uint8_t OUT[] = {0xef};           /* out dx, eax */
  static const uint8_t IN[] = {0xed};            /* in eax, dx */
  static const uint8_t INB[] = {0xec};           /* in al, dx */
  static const uint8_t LOAD[] = {0x8b, 0x03};    /* mov eax, [rbx] */
  static const uint8_t STORE[] = {0x89, 0x03};   /* mov [rbx], eax */
  /* mov edx, 0xcf8; out dx, eax; mov edx, 0xcfc; in eax, dx */
  static const uint8_t CONF1[] = {0xba, 0xf8, 0x0c, 0, 0, 0xef, 0xba, 0xfc, 0x0c, 0, 0, 0xed};
  static const uint8_t TOUCH[] = {0x8b, 0x03, 0x48, 0x01, 0xf3}; /* mov eax, [rbx]; add rbx, rsi */

  null_row(PAIRS, N_KERN);
  userspace_row("pio_out_user", OUT, sizeof OUT, PIO_USER, 0, N_USER / 10, N_USER, 1, "out to port 0xcf8, no device: KVM_EXIT_IO, re-enter");
  userspace_row("pio_in_user", IN, sizeof IN, PIO_USER + 4, 0, N_USER / 10, N_USER, 1, "in from port 0xcfc, no device: KVM_EXIT_IO, 0xffffffff supplied, re-enter");
  userspace_row("pcicfg_pio_read_user", CONF1, sizeof CONF1, 0, 0, N_USER / 20, N_USER / 2, 2, "a conf1 config read: out 0xcf8 + in 0xcfc, two KVM_EXIT_IO (one sample per pair)");
  userspace_row("mmio_read_user", LOAD, sizeof LOAD, 0, MMIO_USER, N_USER / 10, N_USER, 1, "load from a GPA without memslot: KVM_EXIT_MMIO, 0xff.. supplied, re-enter");
  userspace_row("mmio_write_user", STORE, sizeof STORE, 0, MMIO_USER, N_USER / 10, N_USER, 1, "store to a GPA without memslot: KVM_EXIT_MMIO, re-enter");
  if (irqchip) kernel_row("pic_pio_read_kernel", INB, sizeof INB, PIC_PORT, 0, PAIRS, N_KERN, "in from port 0x21: the in-kernel i8259 (KVM_CREATE_IRQCHIP) on KVM_PIO_BUS");
  if (have_iofd) {
    kernel_row("ioeventfd_pio_write", OUT, sizeof OUT, PIO_EVENTFD, 0, PAIRS, N_KERN, "out to a KVM_IOEVENTFD port: eventfd_signal in the kernel");
    kernel_row("ioeventfd_mmio_write", STORE, sizeof STORE, 0, MMIO_EVENTFD, PAIRS, N_KERN, "store to a KVM_IOEVENTFD MMIO address (KVM_MMIO_BUS): eventfd_signal in the kernel");
  }
  if (have_cmmio) kernel_row("coalesced_mmio_write", STORE, sizeof STORE, 0, MMIO_COALESCED, PAIRS, N_KERN, "store to a KVM_REGISTER_COALESCED_MMIO zone: a ring entry, a userspace exit only when the ring is full");
  if (have_cpio) kernel_row("coalesced_pio_write", OUT, sizeof OUT, PIO_EVENTFD + 8, 0, PAIRS, N_KERN, "out to a coalesced PIO port (KVM_CAP_COALESCED_PIO, as QEMU's 0xcf8): a ring entry");
  memset(ram + RAM_DATA, 0xff, 4096);
  kernel_row("ram_read", LOAD, sizeof LOAD, 0, RAM_DATA, PAIRS, N_KERN, "load from ordinary RAM: no exit");

  /* read-only slot: first touch (a fault that installs the mapping) and then mapped reads */
  uint8_t *ro = mmap(NULL, RO_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (ro == MAP_FAILED) die("mmap ro");
  madvise(ro, RO_SIZE, MADV_NOHUGEPAGE);
  for (uint64_t off = 0; off < RO_SIZE; off += RO_STRIDE) ro[off] = 0xff; /* host pages present: no host fault in the timing */
  long touches = RO_SIZE / RO_STRIDE;
  uint64_t touch_rip = put_loop(TOUCH, sizeof TOUCH);
  double first[64], slots[128];
  int ns = 0;
  for (int r = -1; r < ROUNDS; r++) {
    uint64_t t0 = now_ns();
    set_slot(1, KVM_MEM_READONLY, RO_BASE, RO_SIZE, ro);
    uint64_t t1 = now_ns(); /* wall time: the ioctl may wait (synchronize_srcu_expedited), and a VMM waits with it */
    double cold = (double)run_loop(touch_rip, touches, 0, RO_BASE, RO_STRIDE);
    double warm = (double)run_loop(touch_rip, touches, 0, RO_BASE, RO_STRIDE);
    uint64_t t2 = now_ns();
    set_slot(1, KVM_MEM_READONLY, RO_BASE, 0, ro);
    uint64_t t3 = now_ns();
    if (r < 0) continue; /* warm-up round */
    first[r] = (cold - warm) / (double)touches;
    slots[ns++] = (double)(t1 - t0);
    slots[ns++] = (double)(t3 - t2);
  }
  row("ro_first_touch", "per-round", first, ROUNDS, touches, "first read of a KVM_MEM_READONLY page (one every 64 KiB: no prefetched neighbour) minus a second read of it; not minus null_loop");
  set_slot(1, KVM_MEM_READONLY, RO_BASE, RO_SIZE, ro);
  run_loop(touch_rip, touches, 0, RO_BASE, RO_STRIDE);
  kernel_row("ro_read", LOAD, sizeof LOAD, 0, RO_BASE, PAIRS, N_KERN, "load from a mapped KVM_MEM_READONLY page: no exit");
  row("memslot_update", "per-ioctl", slots, ns, ns, "one KVM_SET_USER_MEMORY_REGION (create or delete a 16 MiB read-only slot), vCPU stopped; not minus null_loop");
  printf("\n]}\n");
  return 0;
}
