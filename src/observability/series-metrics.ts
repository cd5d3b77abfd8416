import type { Registry } from 'prom-client';

/**
 * A counter and a histogram for prom-client registries, fed through per-series handles.
 *
 * prom-client's `inc(labels)` and `observe(labels, v)` validate the labels and build a hash
 * string from them on every call, and its `labels(...)` children do the same on each use:
 * about a microsecond per HTTP request for the two request metrics. Here a caller looks a
 * series up once (`series(labels)`) and keeps the handle, so recording is a few additions.
 * `get()` returns what prom-client's Counter and Histogram return for the same observations,
 * so the registry prints the very same text (test/http/series-metrics.test.ts compares them).
 */

type Labels<L extends string> = Readonly<Record<L, string>>;

interface MetricConfig<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
  registers: Registry[];
}

interface Exported {
  labels: Record<string, string | number>;
  sharedLabels?: Record<string, string>;
  value: number;
  metricName?: string;
  exemplar?: null | undefined;
}

/** The shape prom-client's registry reads from a metric. */
interface MetricData {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  values: Exported[];
  aggregator: 'sum';
}

/** Series kept in first-use order, as prom-client keeps its label hashes. */
abstract class SeriesMetric<L extends string, S extends { live: boolean }> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  readonly aggregator = 'sum' as const;
  abstract readonly type: 'counter' | 'histogram';
  private readonly byKey = new Map<string, S>();
  /** Series recorded since the last reset, in the order they were first recorded. */
  protected live: S[] = [];

  constructor(config: MetricConfig<L>) {
    this.name = config.name;
    this.help = config.help;
    this.labelNames = config.labelNames;
    for (const registry of config.registers) {
      registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
    }
  }

  /** The handle of one series; look it up once and keep it. */
  series(labels: Labels<L>): S {
    const key = this.labelNames.map((n) => labels[n]).join('\u0000');
    let series = this.byKey.get(key);
    if (series === undefined) {
      const own = {} as Record<L, string>;
      for (const n of this.labelNames) own[n] = labels[n];
      series = this.create(own, () => this.live.push(series!));
      this.byKey.set(key, series);
    }
    return series;
  }

  /** Like prom-client: a reset forgets every series until it is recorded again. */
  reset(): void {
    for (const s of this.live) this.clear(s);
    this.live = [];
  }

  protected abstract create(labels: Record<L, string>, revive: () => void): S;
  protected abstract clear(series: S): void;
}

export interface CounterSeries {
  live: boolean;
  inc(by?: number): void;
}

class CounterEntry implements CounterSeries {
  live = false;
  value = 0;
  constructor(
    readonly labels: Record<string, string>,
    private readonly revive: () => void,
  ) {}

  inc(by = 1): void {
    if (!this.live) {
      this.live = true;
      this.revive();
    }
    this.value += by;
  }
}

export class SeriesCounter<L extends string> extends SeriesMetric<L, CounterEntry> {
  readonly type = 'counter' as const;

  protected create(labels: Record<L, string>, revive: () => void): CounterEntry {
    return new CounterEntry(labels, revive);
  }

  protected clear(series: CounterEntry): void {
    series.live = false;
    series.value = 0;
  }

  async get(): Promise<MetricData> {
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      values: this.live.map((s) => ({ value: s.value, labels: s.labels })),
      aggregator: this.aggregator,
    };
  }
}

export interface HistogramSeries {
  live: boolean;
  observe(value: number): void;
}

class HistogramEntry implements HistogramSeries {
  live = false;
  sum = 0;
  count = 0;
  /** Observations per bucket, not cumulative; values above the last bound are only counted. */
  readonly inBucket: number[];
  constructor(
    readonly labels: Record<string, string>,
    private readonly bounds: readonly number[],
    private readonly revive: () => void,
  ) {
    this.inBucket = new Array<number>(bounds.length).fill(0);
  }

  observe(value: number): void {
    if (!this.live) {
      this.live = true;
      this.revive();
    }
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]) {
        this.inBucket[i]++;
        break;
      }
    }
    this.sum += value;
    this.count++;
  }
}

export class SeriesHistogram<L extends string> extends SeriesMetric<L, HistogramEntry> {
  readonly type = 'histogram' as const;
  private readonly bounds: readonly number[];

  constructor(config: MetricConfig<L> & { buckets: readonly number[] }) {
    super(config);
    this.bounds = [...config.buckets].sort((a, b) => a - b);
  }

  protected create(labels: Record<L, string>, revive: () => void): HistogramEntry {
    return new HistogramEntry(labels, this.bounds, revive);
  }

  protected clear(series: HistogramEntry): void {
    series.live = false;
    series.sum = 0;
    series.count = 0;
    series.inBucket.fill(0);
  }

  /** What the registry prints: per series the cumulative buckets, +Inf, sum and count. */
  async getForPromString(): Promise<MetricData> {
    const bucketName = `${this.name}_bucket`;
    const values: Exported[] = [];
    for (const s of this.live) {
      let acc = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        acc += s.inBucket[i];
        values.push({
          labels: { le: this.bounds[i] },
          sharedLabels: s.labels,
          value: acc,
          metricName: bucketName,
          exemplar: null,
        });
      }
      values.push(
        {
          labels: { le: '+Inf' },
          sharedLabels: s.labels,
          value: s.count,
          metricName: bucketName,
          exemplar: null,
        },
        {
          labels: {},
          sharedLabels: s.labels,
          value: s.sum,
          metricName: `${this.name}_sum`,
          exemplar: undefined,
        },
        {
          labels: {},
          sharedLabels: s.labels,
          value: s.count,
          metricName: `${this.name}_count`,
          exemplar: undefined,
        },
      );
    }
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      values,
      aggregator: this.aggregator,
    };
  }

  /** The JSON form (`registry.getMetricsAsJSON()`): shared labels merged in, as prom-client does. */
  async get(): Promise<MetricData> {
    const data = await this.getForPromString();
    data.values = data.values.map(({ sharedLabels, ...v }) => ({
      ...v,
      labels: { ...v.labels, ...sharedLabels },
    }));
    return data;
  }
}
