import { ApiError } from './api-error.js';
import { apiUrl } from './http.js';

/** Where the whole output of a task downloads as a text file. */
export function taskOutputDownloadUrl(taskId: number): string {
  return apiUrl(`/tasks/${taskId}/output`, { format: 'text' });
}

/** The whole output as one string, for the clipboard: one request, however long it is. */
export async function fetchTaskOutputText(taskId: number): Promise<string> {
  const response = await fetch(taskOutputDownloadUrl(taskId), { credentials: 'same-origin' });
  if (!response.ok) throw new ApiError('SWY_ERR_HTTP', `The hub answered HTTP ${response.status}`, response.status);
  return response.text();
}
