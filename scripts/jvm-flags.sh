# Sourced by scripts/attnsweep and by the GPU kit's runner (scripts/gpu-kit copies it next to
# DIR/run): sets the array attnsweep_tuning to the JVM flags the engine is tuned and measured with,
# for this machine (core count, transparent huge pages). Each flag's evidence is beside it.
attnsweep_tuning=()
# Four JIT compiler threads (1 C1, 3 C2) where the JVM would start fewer (on up to 4 cores it starts
# 2 or 3): the vector kernels' C2 compiles, most of the warm-up's time, then run side by side
# instead of queueing for one thread (one run 5.34/9.48/10.51/9.56/14.58/6.86/7.39 s against
# 11.88/10.68/11.56/13.75/12.23/7.72/7.99 s, 7 alternating pairs at load 7-9; RESULTS.md).
[ "$(nproc)" -le 4 ] && attnsweep_tuning+=(-XX:CICompilerCount=4)
# The engine's kernels and the Vector API's methods compiled in the foreground: a thread that asks
# for one waits for the compiled code instead of going on in the interpreter. Until C2 has
# intrinsified a kernel, each of its vector operations runs the API's Java fallback, which
# allocates an object and an array per operation (1.9 GB in one 50-step run of
# scripts/direct-bench's workload, JFR) and grows hot enough to be compiled itself; waiting
# instead, that run compiles 104 of the API's methods with C2 where it compiled 132, and collects
# its young generation twice where it did 5 times. One run, 3 alternated pairs at load 9-11:
# 5.64/8.47/8.02 -> 5.31/6.60/5.39 s wall, 3.95/4.12/4.07 -> 3.24/3.49/3.27 CPU-s; a batch of 16:
# 10.26/7.07/7.01 -> 7.66/5.27/5.96 s, 6.57/6.63/7.16 -> 5.85/5.30/5.94 CPU-s; 100 runs of
# jiang-heatmap no slower; the same results bit for bit (benchmarks/RESULTS.md, issue 10, s21).
# "quiet" first: otherwise the JVM prints each command on stdout.
attnsweep_tuning+=(-XX:CompileCommand=quiet
  "-XX:CompileCommand=BackgroundCompilation,org.attnsweep.engine.vector.*::*,false"
  "-XX:CompileCommand=BackgroundCompilation,jdk.incubator.vector.*::*,false")
# Compile thresholds: 4x the JVM's for the rest of the program, a quarter of them for the engine's
# kernels and the Vector API (C2 at ~1,250 calls of a kernel instead of ~5,000). A command's start
# runs a thousand methods of the CLI, the JDK and picocli a few hundred times each; at the JVM's own
# thresholds C1 compiles them (0.6 of one run's 2.3 CPU-s of compilation) while the kernels'
# warm-up waits for the same two cores; the kernels, which must reach C2 before a step is fast,
# get there sooner. Together with the warm-up started before the options are parsed (cli/Main):
# one 50-step run of scripts/direct-bench's workload 2.40 -> 2.05 s median (6 alternated pairs, the
# same flags without and with the early start; lower in 5) and 2.05 -> 1.94 s against the build
# before both (8 pairs, lower in 5, 2 even); a batch of 16 runs 5.05 -> 4.86 s (5 pairs, lower in
# 4); the 500-run main job 18.1 -> 16.4 s (4 pairs, lower in 3); compilation 2.27 -> 1.66 CPU-s
# (-XX:+CITime); each flag alone was no faster; results the same bytes (benchmarks/RESULTS.md, s24).
attnsweep_tuning+=(-XX:CompileThresholdScaling=4
  "-XX:CompileCommand=CompileThresholdScaling,org.attnsweep.engine.vector.*::*,0.25"
  "-XX:CompileCommand=CompileThresholdScaling,jdk.incubator.vector.*::*,0.25"
  "-XX:CompileCommand=CompileThresholdScaling,jdk.internal.vm.vector.*::*,0.25")
# The Java heap on transparent huge pages where the kernel offers them (madvise or always): a
# sweep's heap grows by GBs of fresh pages, each faulted in once, and a run's arrays span hundreds
# of 4 KiB pages. The 1,000-run jiang-heatmap grid: 1.20-1.52x less CPU in every alternated pair, 23
# thousand against 1.1 million page faults, same summary.csv (benchmarks/RESULTS.md, issue 11;
# measured when the GEMM still read B's rows in place, 2 KiB apart).
attnsweep_thp=/sys/kernel/mm/transparent_hugepage/enabled
if [ -r "$attnsweep_thp" ] && grep -qE '\[(always|madvise)\]' "$attnsweep_thp"; then attnsweep_tuning+=(-XX:+UseTransparentHugePages); fi
