import cookie from '@fastify/cookie';
import fp from 'fastify-plugin';

/** Cookies (`request.cookies`, `reply.setCookie`): the console's session cookie and the single sign-on flow. */
export default fp(
  async (app) => {
    await app.register(cookie);
  },
  { name: 'mpop-cookie' },
);
