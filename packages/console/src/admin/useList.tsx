/** Loading of an admin list (`{count, items}`), with reload after saves. */
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { Api, ApiError } from '../api.js';
import { toApiError } from '../ui.js';

/** A loaded list and how to refresh it. */
export interface ListState<T> {
  items: T[] | null;
  error: ApiError | null;
  reload: () => Promise<void>;
  /** Creates (`editing` null) or replaces (`editing` = id) one item, then reloads the list. */
  save: (editing: string | number | null, body: unknown) => Promise<void>;
}

/** Loads `GET path` now and on `reload()`. */
export function useList<T>(api: Api, path: string): ListState<T> {
  const [items, setItems] = useState<T[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const reload = useCallback(async () => {
    try {
      setItems((await api.request<{ items: T[] }>('GET', path)).items);
      setError(null);
    } catch (err) {
      setError(toApiError(err));
    }
  }, [api, path]);
  useEffect(() => {
    void reload();
  }, [reload]);
  const save = useCallback(
    async (editing: string | number | null, body: unknown) => {
      if (editing !== null && editing !== '') await api.request('PUT', `${path}/${editing}`, body);
      else await api.request('POST', path, body);
      await reload();
    },
    [api, path, reload],
  );
  return { items, error, reload, save };
}
