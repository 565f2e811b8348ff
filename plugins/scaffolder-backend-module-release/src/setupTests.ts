// The actions' tests start the sandbox, which seeds real git repositories: more than jest's 5 s on a busy machine.
jest.setTimeout(60_000);

export {};
