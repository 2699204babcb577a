export interface FieldProblem {
  /** Dotted path as the API names it, e.g. `fields.tasks` or `query.createdFrom`. */
  path: string;
  message: string;
}

/** An error answer of the API (`{ error: { code, message, fields? } }`) or a failure to reach it. */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly fields: FieldProblem[];

  constructor(code: string, message: string, status: number, fields: FieldProblem[] = []) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
    this.fields = fields;
  }
}

export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError;
}

/** The problem the API reported for one field, if any. */
export function fieldError(error: unknown, path: string): string | undefined {
  if (!isApiError(error)) return undefined;
  return error.fields.find((f) => f.path === path)?.message;
}
