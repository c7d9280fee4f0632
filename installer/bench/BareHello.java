import java.io.DataInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** The bare-JVM baseline: a "hello world" native-messaging host with no libraries — one frame in, one out. */
public class BareHello {
    public static void main(String[] args) throws IOException {
        DataInputStream in = new DataInputStream(System.in);
        byte[] header = in.readNBytes(4);
        int len = ByteBuffer.wrap(header).order(ByteOrder.nativeOrder()).getInt();
        in.readNBytes(len);
        byte[] reply = "{\"id\":\"1\",\"result\":{\"host\":\"java\",\"protocol\":\"1.0.0\",\"operations\":[\"hello\"]}}".getBytes(StandardCharsets.UTF_8);
        System.out.write(ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(reply.length).array());
        System.out.write(reply);
        System.out.flush();
        // Like a real host: stay until the browser closes stdin (so its idle RSS can be read).
        while (in.read() >= 0) {
        }
    }
}
