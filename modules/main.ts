import {args, print} from "host";
import Timer from "timer";

export default function main(): void {
	print("hello " + JSON.stringify(args()));
	Timer.set(() => print("tick"), 10);
}
