/**
 * The notes API, once, as a table of framework-free routes. Each demo app maps this table onto its
 * framework (path, method, the route's scope requirement, the handler); the OpenAPI document is
 * generated from the same table, so the documented security is the enforced one.
 */
import { type Principal, principalToJSON, problemAnswer } from '@restguard/core';

/** What a handler gets: the authenticated principal (or null on public routes), params, parsed body. */
export interface DemoRequest {
  principal: Principal | null;
  params: Record<string, string>;
  /** The parsed JSON body, or undefined when the body was not JSON. */
  body: unknown;
  /** The request's Content-Type, lower-cased, without parameters. */
  contentType: string | undefined;
}

/** What a handler answers; apps write it out as it is. */
export interface DemoResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One route of the demo API. */
export interface DemoRoute {
  method: 'GET' | 'POST' | 'DELETE';
  /** OpenAPI-style path (`/api/notes/{id}`); use {@link colonPath} for the frameworks. */
  path: string;
  operationId: string;
  summary: string;
  /** Scopes/permissions the route needs (all of them); `null`: public; `[]`: any valid credential. */
  scopes: readonly string[] | null;
  /** Documented responses beyond the auth ones. */
  responses: Record<string, string>;
  /** JSON request body schema, when the route takes one. */
  requestBody?: Record<string, unknown>;
  handle(request: DemoRequest): DemoResponse | Promise<DemoResponse>;
}

/** A stored note. */
export interface Note {
  id: string;
  text: string;
  author: string;
  createdAt: string;
}

const json = (status: number, value: unknown, headers: Record<string, string> = {}): DemoResponse => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  body: JSON.stringify(value),
});
const problem = (status: number, title: string, detail: string): DemoResponse => {
  const answer = problemAnswer(status, title, detail);
  return { status, headers: answer.headers as Record<string, string>, body: answer.body };
};

/** `/api/notes/{id}` → `/api/notes/:id`, the syntax all three frameworks share. */
export function colonPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, ':$1');
}

/**
 * Builds the API routes over an in-memory note list (notes are demo data; API keys live in the store).
 * @example
 * for (const route of createApiRoutes()) app[route.method.toLowerCase()](colonPath(route.path), …);
 */
export function createApiRoutes(options: { maxNotes?: number } = {}): DemoRoute[] {
  const notes = new Map<string, Note>();
  const maxNotes = options.maxNotes ?? 1000;
  return [
    {
      method: 'GET',
      path: '/healthz',
      operationId: 'health',
      summary: 'Liveness probe',
      scopes: null,
      responses: { '200': 'The service is up' },
      handle: () => json(200, { status: 'ok' }),
    },
    {
      method: 'GET',
      path: '/api/notes',
      operationId: 'listNotes',
      summary: 'List notes',
      scopes: ['read'],
      responses: { '200': 'The notes, newest first' },
      handle: () => json(200, [...notes.values()].reverse()),
    },
    createNoteRoute(notes, maxNotes),
    {
      method: 'DELETE',
      path: '/api/notes/{id}',
      operationId: 'deleteNote',
      summary: 'Delete a note',
      scopes: ['write'],
      responses: { '204': 'Deleted', '404': 'No such note' },
      handle: ({ params }) => {
        if (!notes.delete(params.id ?? '')) return problem(404, 'Not Found', 'No note has this id.');
        return { status: 204, headers: {}, body: '' };
      },
    },
    {
      method: 'GET',
      path: '/api/me',
      operationId: 'me',
      summary: 'The authenticated principal',
      scopes: [],
      responses: { '200': 'Who you are and what you may do' },
      handle: ({ principal }) => json(200, principalToJSON(principal!)),
    },
  ];
}

/** `POST /api/notes`: adds a note (JSON `{"text"}`), dropping the oldest beyond `maxNotes`. */
function createNoteRoute(notes: Map<string, Note>, maxNotes: number): DemoRoute {
  return {
    method: 'POST',
    path: '/api/notes',
    operationId: 'createNote',
    summary: 'Add a note',
    scopes: ['write'],
    requestBody: {
      type: 'object',
      required: ['text'],
      properties: { text: { type: 'string', minLength: 1, maxLength: 1000 } },
      additionalProperties: false,
    },
    responses: { '201': 'The note, with its Location', '400': 'Invalid note', '415': 'Not JSON' },
    handle: ({ principal, body, contentType }) => {
      if (contentType !== 'application/json') {
        return problem(415, 'Unsupported Media Type', 'Send the note as application/json.');
      }
      const text = (body as { text?: unknown } | null | undefined)?.text;
      if (typeof text !== 'string' || text.trim() === '' || text.length > 1000) {
        return problem(400, 'Invalid note', 'A note is {"text": "…"} with 1 to 1000 characters.');
      }
      if (notes.size >= maxNotes) notes.delete(notes.keys().next().value!);
      const note: Note = {
        id: crypto.randomUUID(),
        text,
        author: principal!.subject,
        createdAt: new Date().toISOString(),
      };
      notes.set(note.id, note);
      return json(201, note, { location: `/api/notes/${note.id}` });
    },
  };
}
