import { UsageError } from '../command.js';

/**
 * Which part of the input this process embeds when N independent jobs of a scheduler share it:
 * shard k (rows k*S to (k+1)*S - 1) belongs to job k mod N. Deterministic, so the jobs' shard
 * files never overlap and merge by their number.
 */
export interface JobSlice {
  index: number;
  count: number;
  /** Where it came from, for messages: "--shard 1/3", "JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID". */
  source: string;
}

export const WHOLE_INPUT: JobSlice = { index: 0, count: 1, source: 'one job' };

/**
 * `--shard i/n` (0-based), else a Kubernetes Indexed Job's JOB_COMPLETION_INDEX with the job's
 * completions in JOB_COMPLETION_COUNT, else a Slurm array's SLURM_ARRAY_TASK_ID (offset by
 * SLURM_ARRAY_TASK_MIN, divided by SLURM_ARRAY_TASK_STEP) of SLURM_ARRAY_TASK_COUNT.
 */
export function jobSlice(option: string | undefined, env: Readonly<Record<string, string | undefined>>): JobSlice {
  if (option !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(option);
    if (!m) throw new UsageError(`--shard must be I/N (0-based: 0/3, 1/3, 2/3), got "${option}"`);
    return checked(Number(m[1]), Number(m[2]), `--shard ${option}`);
  }
  const k8s = env.JOB_COMPLETION_INDEX;
  if (k8s !== undefined && k8s !== '') {
    const count = env.JOB_COMPLETION_COUNT;
    if (count === undefined || count === '') {
      throw new UsageError('JOB_COMPLETION_INDEX is set but JOB_COMPLETION_COUNT is not: set it to the Job\'s completions (or pass --shard I/N)');
    }
    return checked(integer(k8s, 'JOB_COMPLETION_INDEX'), integer(count, 'JOB_COMPLETION_COUNT'), `JOB_COMPLETION_INDEX=${k8s} of ${count}`);
  }
  const slurm = env.SLURM_ARRAY_TASK_ID;
  if (slurm !== undefined && slurm !== '') {
    const min = integer(env.SLURM_ARRAY_TASK_MIN ?? '0', 'SLURM_ARRAY_TASK_MIN');
    const step = integer(env.SLURM_ARRAY_TASK_STEP ?? '1', 'SLURM_ARRAY_TASK_STEP');
    const count = env.SLURM_ARRAY_TASK_COUNT;
    if (count === undefined) throw new UsageError('SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not (pass --shard I/N)');
    const offset = integer(slurm, 'SLURM_ARRAY_TASK_ID') - min;
    if (step < 1 || offset % step !== 0) throw new UsageError(`SLURM_ARRAY_TASK_ID=${slurm} is not MIN + k * STEP (${min}, ${step}); pass --shard I/N`);
    return checked(offset / step, integer(count, 'SLURM_ARRAY_TASK_COUNT'), `SLURM_ARRAY_TASK_ID=${slurm} of ${count}`);
  }
  return WHOLE_INPUT;
}

export function ownsShard(slice: JobSlice, shard: number): boolean {
  return shard % slice.count === slice.index;
}

function integer(value: string, name: string): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`${name} must be a non-negative integer, got "${value}"`);
  return Number(value);
}

function checked(index: number, count: number, source: string): JobSlice {
  if (count < 1 || index >= count) throw new UsageError(`${source}: the job index must be below the job count (0-based)`);
  return { index, count, source };
}
