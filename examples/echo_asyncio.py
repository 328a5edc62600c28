"""A TCP echo server on 127.0.0.1 on asyncio: one task per connection, one OS thread in all.
Usage: python3 echo_asyncio.py PORT  (versus passes PORT for {port})."""
import asyncio
import sys


async def serve(reader, writer):
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()
    writer.close()


async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", int(sys.argv[1]), backlog=4096)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
