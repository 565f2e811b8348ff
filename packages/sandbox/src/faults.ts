import type { NextFunction, Request, Response } from 'express';

/** One planned misbehaviour: the next `count` matching calls answer this instead. */
export interface Fault {
  /** Matches when the request path starts with this (after the service prefix is kept). */
  path: string;
  method?: string;
  count: number;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Wait before answering (or before passing on, when status is 0). */
  delayMs?: number;
}

/**
 * Faults injected over HTTP (`POST /_sandbox/faults`) or from tests, consumed in order: 5xx, 429 with
 * Retry-After, GitLab's 400 race, Argo CD's "operation in progress", slow answers.
 */
export class FaultInjector {
  private faults: Fault[] = [];

  add(fault: Fault): void {
    if (!fault.path.startsWith('/'))
      throw new Error('fault path must start with /');
    if (!Number.isInteger(fault.count) || fault.count < 1) {
      throw new Error('fault count must be a whole number of at least 1');
    }
    this.faults.push({ ...fault, method: fault.method?.toUpperCase() });
  }

  clear(): void {
    this.faults = [];
  }

  pending(): Fault[] {
    return this.faults.map(f => ({ ...f }));
  }

  /** Takes one use of the first fault matching this call, if any. */
  take(method: string, path: string): Fault | undefined {
    const fault = this.faults.find(
      f =>
        path.startsWith(f.path) &&
        (!f.method || f.method === method.toUpperCase()),
    );
    if (!fault) return undefined;
    fault.count -= 1;
    if (fault.count === 0) this.faults = this.faults.filter(f => f !== fault);
    return fault;
  }

  middleware() {
    return async (req: Request, res: Response, next: NextFunction) => {
      const fault = this.take(req.method, req.originalUrl.split('?')[0]);
      if (!fault) return next();
      if (fault.delayMs) await new Promise(r => setTimeout(r, fault.delayMs));
      if (fault.status === 0) return next();
      for (const [k, v] of Object.entries(fault.headers ?? {}))
        res.setHeader(k, v);
      return res
        .status(fault.status)
        .json(fault.body ?? { message: `sandbox fault ${fault.status}` });
    };
  }
}
