import { http, HttpResponse, type PathParams } from 'msw';

/** Gids of the documented-response fake (shaped like the examples of Asana's API reference). */
export const asanaDocs = {
  projectGid: '1331',
  sectionGid: '321654',
  /** The section of the project's work items. */
  workSectionGid: '321655',
  fields: {
    grade: '4578152156',
    buildNumber: '4578152157',
    dbUpdate: '4578152158',
  },
};

/**
 * msw handlers answering like the Asana REST API (`{ data }`, `{ errors: [{ message }] }`, custom
 * field settings with enum options, tasks with `custom_fields`), with a memory of the tasks made.
 */
export function createAsanaHandlers(options: {
  baseUrl: string;
  token: string;
}) {
  const base = options.baseUrl.replace(/\/+$/, '');
  const gradeOptions = ['A', 'B', 'C', 'D', 'E'].map((g, i) => ({
    gid: `1000${i}`,
    resource_type: 'enum_option',
    name: g,
    enabled: true,
    color: 'blue',
  }));
  const dbOptions = [
    {
      gid: '20001',
      resource_type: 'enum_option',
      name: 'Y',
      enabled: true,
      color: 'red',
    },
    {
      gid: '20002',
      resource_type: 'enum_option',
      name: 'N',
      enabled: true,
      color: 'none',
    },
  ];
  const fields = [
    {
      gid: asanaDocs.fields.grade,
      resource_type: 'custom_field',
      name: 'Release grade',
      resource_subtype: 'enum',
      enum_options: gradeOptions,
    },
    {
      gid: asanaDocs.fields.buildNumber,
      resource_type: 'custom_field',
      name: 'Build number',
      resource_subtype: 'text',
    },
    {
      gid: asanaDocs.fields.dbUpdate,
      resource_type: 'custom_field',
      name: 'DB update',
      resource_subtype: 'enum',
      enum_options: dbOptions,
    },
  ];
  type Task = {
    gid: string;
    name: string;
    completed: boolean;
    values: Record<string, string>;
    section?: string;
    comments: string[];
  };
  const tasks: Task[] = [];
  let seq = 12345;
  // The project's work items, shaped as the API reference's task examples.
  const workItems = [
    ['1204', 'Buy catnip', false, { gid: '12345', name: 'Greg Sanchez' }],
    ['1205', 'Bake the cake', false, null],
    ['1206', 'Buy a cat bed', true, { gid: '12345', name: 'Greg Sanchez' }],
    ['1207', 'Catnip, again', false, null],
  ] as const;
  const project = {
    gid: asanaDocs.projectGid,
    resource_type: 'project',
    name: 'Stuff to buy',
  };
  const listed = () => [
    ...workItems.map(([gid, name, completed, assignee]) => ({
      gid,
      resource_type: 'task',
      name,
      completed,
      permalink_url: `https://app.asana.com/0/${asanaDocs.projectGid}/${gid}`,
      assignee: assignee && { ...assignee, resource_type: 'user' },
      memberships: [
        {
          project,
          section: {
            gid: asanaDocs.workSectionGid,
            resource_type: 'section',
            name: 'Next Actions',
          },
        },
      ],
    })),
    ...tasks.map(t => ({
      gid: t.gid,
      resource_type: 'task',
      name: t.name,
      completed: t.completed,
      permalink_url: `https://app.asana.com/0/${asanaDocs.projectGid}/${t.gid}`,
      assignee: null,
      memberships: [
        {
          project,
          section: t.section
            ? { gid: t.section, resource_type: 'section', name: 'Releases' }
            : null,
        },
      ],
    })),
  ];

  const notFound = (what: string) =>
    HttpResponse.json(
      { errors: [{ message: `${what}: Not Found` }] },
      { status: 404 },
    );

  const taskJson = (t: Task) => ({
    data: {
      gid: t.gid,
      resource_type: 'task',
      name: t.name,
      completed: t.completed,
      permalink_url: `https://app.asana.com/0/${asanaDocs.projectGid}/${t.gid}`,
      custom_fields: fields.map(f => {
        const value = t.values[f.gid];
        const option = f.enum_options?.find(o => o.gid === value);
        return {
          gid: f.gid,
          resource_type: 'custom_field',
          name: f.name,
          resource_subtype: f.resource_subtype,
          ...(f.enum_options
            ? { enum_value: option ?? null }
            : { text_value: value ?? null }),
          display_value: option?.name ?? value ?? null,
        };
      }),
    },
  });

  const setValues = (t: Task, values: Record<string, string> = {}) => {
    for (const [gid, value] of Object.entries(values)) {
      const field = fields.find(f => f.gid === gid);
      if (
        !field ||
        (field.enum_options && !field.enum_options.some(o => o.gid === value))
      ) {
        return HttpResponse.json(
          { errors: [{ message: `custom_fields: invalid value for ${gid}` }] },
          { status: 400 },
        );
      }
      t.values[gid] = value;
    }
    return undefined;
  };

  const authorized = (request: Request) =>
    request.headers.get('authorization') === `Bearer ${options.token}`;
  const guard =
    (
      fn: (args: {
        request: Request;
        params: { gid: string };
      }) => Promise<Response> | Response,
    ) =>
    ({ request, params }: { request: Request; params: PathParams }) =>
      authorized(request)
        ? fn({ request, params: { gid: String(params.gid ?? '') } })
        : HttpResponse.json(
            { errors: [{ message: 'Not Authorized' }] },
            { status: 401 },
          );

  return [
    http.get(
      `${base}/projects/:gid`,
      guard(({ params }) =>
        params.gid === asanaDocs.projectGid
          ? HttpResponse.json({
              data: {
                gid: asanaDocs.projectGid,
                resource_type: 'project',
                name: 'Stuff to buy',
                archived: false,
              },
            })
          : notFound('project'),
      ),
    ),
    http.get(
      `${base}/projects/:gid/custom_field_settings`,
      guard(({ params }) =>
        params.gid === asanaDocs.projectGid
          ? HttpResponse.json({
              data: fields.map(f => ({
                gid: `${f.gid}0`,
                resource_type: 'custom_field_setting',
                is_important: true,
                custom_field: f,
              })),
              next_page: null,
            })
          : notFound('project'),
      ),
    ),
    http.get(
      `${base}/projects/:gid/tasks`,
      guard(({ request, params }) => {
        if (params.gid !== asanaDocs.projectGid) return notFound('project');
        const url = new URL(request.url);
        const limit = Number(url.searchParams.get('limit') ?? 100);
        const start = Number(url.searchParams.get('offset') ?? 0);
        const open = url.searchParams.get('completed_since') === 'now';
        const all = listed().filter(t => !open || !t.completed);
        const end = start + limit;
        const path = `/projects/${params.gid}/tasks?limit=${limit}&offset=${end}`;
        return HttpResponse.json({
          data: all.slice(start, end),
          next_page:
            end < all.length
              ? { offset: String(end), path, uri: `${base}${path}` }
              : null,
        });
      }),
    ),
    http.get(
      `${base}/sections/:gid`,
      guard(({ params }) =>
        params.gid === asanaDocs.sectionGid
          ? HttpResponse.json({
              data: {
                gid: asanaDocs.sectionGid,
                resource_type: 'section',
                name: 'Next Actions',
                project: {
                  gid: asanaDocs.projectGid,
                  resource_type: 'project',
                  name: 'Stuff to buy',
                },
              },
            })
          : notFound('section'),
      ),
    ),
    http.post(
      `${base}/sections/:gid/addTask`,
      guard(async ({ request, params }) => {
        const { data } = (await request.json()) as { data: { task: string } };
        const task = tasks.find(t => t.gid === data.task);
        if (params.gid !== asanaDocs.sectionGid || !task)
          return notFound('section');
        task.section = params.gid;
        return HttpResponse.json({ data: {} });
      }),
    ),
    http.post(
      `${base}/tasks`,
      guard(async ({ request }) => {
        const { data } = (await request.json()) as {
          data: {
            name: string;
            projects: string[];
            custom_fields?: Record<string, string>;
          };
        };
        if (!data.projects?.includes(asanaDocs.projectGid))
          return notFound('project');
        seq += 1;
        const task: Task = {
          gid: String(seq),
          name: data.name,
          completed: false,
          values: {},
          comments: [],
        };
        const refused = setValues(task, data.custom_fields);
        if (refused) return refused;
        tasks.push(task);
        return HttpResponse.json(taskJson(task), { status: 201 });
      }),
    ),
    http.get(
      `${base}/tasks/:gid`,
      guard(({ params }) => {
        const task = tasks.find(t => t.gid === params.gid);
        return task ? HttpResponse.json(taskJson(task)) : notFound('task');
      }),
    ),
    http.put(
      `${base}/tasks/:gid`,
      guard(async ({ request, params }) => {
        const task = tasks.find(t => t.gid === params.gid);
        if (!task) return notFound('task');
        const { data } = (await request.json()) as {
          data: { completed?: boolean; custom_fields?: Record<string, string> };
        };
        const refused = setValues(task, data.custom_fields);
        if (refused) return refused;
        if (data.completed !== undefined) task.completed = data.completed;
        return HttpResponse.json(taskJson(task));
      }),
    ),
    http.post(
      `${base}/tasks/:gid/stories`,
      guard(async ({ request, params }) => {
        const task = tasks.find(t => t.gid === params.gid);
        if (!task) return notFound('task');
        const { data } = (await request.json()) as { data: { text: string } };
        task.comments.push(data.text);
        return HttpResponse.json(
          {
            data: {
              gid: `9${task.comments.length}${task.gid}`,
              resource_type: 'story',
              resource_subtype: 'comment_added',
              text: data.text,
              type: 'comment',
            },
          },
          { status: 201 },
        );
      }),
    ),
  ];
}
