/// The libFuzzer entry points of the exchange's parsers.
///
/// Built with `swift build -c release --sanitize=fuzzer --product exchange-fuzz`, the program is a
/// libFuzzer driver: libFuzzer's `main` calls ``fuzzerInitialize(_:_:)`` once and then
/// ``fuzzOne(_:_:)`` for every input. `FUZZ_TARGET` names the parser under test (see
/// ``FuzzTarget``). In a build without the sanitizer the program does nothing.
///
/// ```sh
/// FUZZ_TARGET=rfc3339 .build-fuzz/release/exchange-fuzz -max_total_time=60 .build-fuzz/out/corpus/rfc3339 Fuzz/Corpus/rfc3339
/// ```

/// Checks `FUZZ_TARGET` before the first input; exits with the list of targets when it names none.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    FuzzTarget.checkSelection()
    return 0
}

/// Runs one input through the selected target; a failed check traps, which libFuzzer reports as
/// a crash and saves.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = count == 0 || start == nil ? [] : Array(UnsafeRawBufferPointer(start: start, count: count))
    FuzzTarget.selected?.run(FuzzInput(bytes))
    return 0
}
