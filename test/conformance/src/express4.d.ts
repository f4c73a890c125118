// Express 4.22 is installed as `express4` (npm alias) to test the peer range; its API is typed like 5's here.
declare module 'express4' {
  import express from 'express';
  export default express;
}
