import { render, screen } from '@testing-library/react';
import App from './App';

jest.setTimeout(30_000);

describe('App', () => {
  afterEach(() => jest.restoreAllMocks());

  it('opens on the demo sign-in page listing the catalog users', async () => {
    const fetchMock = jest.spyOn(global, 'fetch').mockImplementation(
      async input =>
        new Response(
          JSON.stringify({
            items: [
              {
                ref: 'user:default/choi.yuna',
                name: 'choi.yuna',
                displayName: '최유나 Choi Yuna',
                roles: ['developer', 'pl'],
                teams: ['kop-hybris'],
              },
            ],
          }),
          {
            status: String(input).endsWith('/api/release/demo-users')
              ? 200
              : 404,
          },
        ),
    );
    process.env = {
      NODE_ENV: 'test',
      APP_CONFIG: [
        {
          data: {
            app: { title: 'kop release portal' },
            backend: { baseUrl: 'http://localhost:7007' },
            auth: { environment: 'development' },
          },
          context: 'test',
        },
      ] as any,
    };

    render(App.createRoot());

    expect(
      await screen.findByRole(
        'button',
        { name: 'Sign in as choi.yuna' },
        { timeout: 15_000 },
      ),
    ).toBeInTheDocument();
    expect(screen.getByText('최유나 Choi Yuna')).toBeInTheDocument();
    expect(fetchMock).toHaveBeenCalledWith(
      'http://localhost:7007/api/release/demo-users',
    );
  });
});
