"""Many videos in one job (`deblur export DIR|GLOB|FILES... -o OUTDIR`): which files are videos
(discover), where each one's output goes and which are already done (plan), one file's export
by the same path as `deblur export FILE` (job), the job's progress display and summary table,
and two ways to run the files: one after another in this process (local) or as one Ray task
per file over a cluster (ray_runner, the only module here that imports ray)."""
