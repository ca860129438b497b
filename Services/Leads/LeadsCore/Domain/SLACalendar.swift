import Foundation

// Lead deadlines are wall-clock rules ("by the next triage slot", "within four working hours")
// in the sales office's time zone, while everything we store is a UTC `Date`. The types here do
// the conversion in one place, DST included, and take the current time as an argument so the
// rules can be tested without a clock.

/// Wall-clock time of day, "HH:MM".
public struct TimeOfDay: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// 0...23.
    public var hour: Int
    /// 0...59.
    public var minute: Int

    /// A time of day; out-of-range values are a programming error (`parse` is for input).
    public init(hour: Int, minute: Int) {
        precondition((0...23).contains(hour) && (0...59).contains(minute), "not a time of day: \(hour):\(minute)")
        self.hour = hour
        self.minute = minute
    }

    /// Parses "HH:MM" (a one-digit hour is accepted too) from 00:00 to 23:59; nil for anything
    /// else. "24:00" is rejected: a day ending at midnight is written 23:59.
    public static func parse(_ text: String) -> TimeOfDay? {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: ":", omittingEmptySubsequences: false)
        // `Int("+9")` parses, so the digits are checked first.
        guard parts.count == 2, (1...2).contains(parts[0].count), parts[1].count == 2,
            parts.allSatisfy({ $0.allSatisfy { ("0"..."9").contains($0) } }),
            let hour = Int(parts[0]), let minute = Int(parts[1]),
            (0...23).contains(hour), (0...59).contains(minute)
        else { return nil }
        return TimeOfDay(hour: hour, minute: minute)
    }

    /// Minutes since midnight: the order of times within one day.
    var minutesSinceMidnight: Int { hour * 60 + minute }

    public static func < (lhs: TimeOfDay, rhs: TimeOfDay) -> Bool {
        lhs.minutesSinceMidnight < rhs.minutesSinceMidnight
    }

    public var description: String {
        (hour < 10 ? "0" : "") + String(hour) + ":" + (minute < 10 ? "0" : "") + String(minute)
    }
}

/// The head of sales' triage slots: e.g. 09:00 and 15:00 Europe/Moscow. A lead registered
/// before a slot must be triaged by it; one registered during a slot waits for the next one.
public struct TriageSchedule: Sendable, Equatable {
    /// Must not be empty; order does not matter.
    public var times: [TimeOfDay]
    public var timeZone: TimeZone

    public init(times: [TimeOfDay], timeZone: TimeZone) {
        self.times = times
        self.timeZone = timeZone
    }

    /// The first slot strictly after `date` (DST-correct, using a Gregorian Calendar in `timeZone`).
    ///
    /// A slot time that the clocks skip on a DST change day falls as far after the gap as it
    /// was into it (02:30 becomes 03:30 when 02:00 jumps to 03:00); a slot time that occurs
    /// twice when clocks go back is held at its first occurrence only.
    public func nextSlot(after date: Date) -> Date {
        precondition(!times.isEmpty, "a triage schedule needs at least one time")
        let calendar = Calendar.gregorian(in: timeZone)
        var day = LocalDay(containing: date, in: calendar)
        // Ends on the first or second day: every day has the same, non-empty list of slots.
        while true {
            let later = times.map { day.instant(at: $0, in: calendar) }.filter { $0 > date }
            if let first = later.min() { return first }
            day = day.next
        }
    }

    /// Parses "09:00,15:00"; throws SLAConfigurationError on empty/garbage/duplicates.
    /// The times are kept sorted.
    public static func parse(times: String, timeZone: String) throws(SLAConfigurationError) -> TriageSchedule {
        guard !times.trimmingCharacters(in: .whitespaces).isEmpty else { throw .noTriageTimes }
        var parsed: [TimeOfDay] = []
        for item in times.split(separator: ",", omittingEmptySubsequences: false) {
            guard let time = TimeOfDay.parse(String(item)) else {
                throw .invalidTime(item.trimmingCharacters(in: .whitespaces))
            }
            guard !parsed.contains(time) else { throw .duplicateTriageTime(time) }
            parsed.append(time)
        }
        return TriageSchedule(times: parsed.sorted(), timeZone: try parseTimeZone(timeZone))
    }
}

/// Working time: days of week (ISO 1 = Monday … 7 = Sunday) and daily hours in a time zone.
/// Public holidays are not modelled: the sales office works on them like on any weekday.
public struct WorkingCalendar: Sendable, Equatable {
    /// ISO weekdays, 1 = Monday … 7 = Sunday; at least one.
    public var days: Set<Int>
    /// Must be before `closes`; working time is the half-open interval [opens, closes).
    public var opens: TimeOfDay
    public var closes: TimeOfDay
    public var timeZone: TimeZone

    public init(days: Set<Int>, opens: TimeOfDay, closes: TimeOfDay, timeZone: TimeZone) {
        self.days = days
        self.opens = opens
        self.closes = closes
        self.timeZone = timeZone
    }

    /// `date` moved forward by `hours` working hours: time outside working hours does not count
    /// (a lead assigned Friday 17:00 with 4 h is due Monday 12:00 for 09:00–18:00 Mon–Fri;
    /// assigned Saturday → counts from Monday opening).
    ///
    /// - A deadline that uses up a day exactly is that day's closing time, not the next opening.
    /// - `hours == 0` returns `date` itself if it is inside working time, otherwise the next
    ///   opening — the earliest moment someone is there to act. Closing time itself is outside.
    /// - Working time is counted in elapsed seconds, so on a DST change day it is one hour
    ///   shorter or longer only if the change falls inside the working hours. Opening and closing
    ///   times skipped by a DST change move forward as in `TriageSchedule.nextSlot(after:)`.
    ///
    /// Walks one calendar day per step: cost grows with the days spanned, not with the hours.
    public func adding(workingHours hours: Double, to date: Date) -> Date {
        precondition(hours.isFinite && hours >= 0, "working hours must be a non-negative number: \(hours)")
        precondition(opens < closes && !days.isDisjoint(with: 1...7), "the working calendar has no working time")
        let calendar = Calendar.gregorian(in: timeZone)
        var remaining = hours * 3600
        var day = LocalDay(containing: date, in: calendar)
        while true {
            if days.contains(day.isoWeekday) {
                let start = max(date, day.instant(at: opens, in: calendar))
                let end = day.instant(at: closes, in: calendar)
                if start < end {
                    let available = end.timeIntervalSince(start)
                    if remaining <= available { return start.addingTimeInterval(remaining) }
                    remaining -= available
                }
            }
            day = day.next
        }
    }

    /// Parses days "1-5" or "1,2,3,4,5" and hours "09:00-18:00"; throws on garbage,
    /// opens >= closes, empty days. Day lists may mix both forms ("1-3,5"); a range must not wrap
    /// around the week ("6-1" is rejected — write "1,6-7").
    public static func parse(days: String, hours: String, timeZone: String) throws(SLAConfigurationError) -> WorkingCalendar {
        let workingDays = try parseDays(days)
        let bounds = hours.split(separator: "-", omittingEmptySubsequences: false)
        guard bounds.count == 2, let opens = TimeOfDay.parse(String(bounds[0])),
            let closes = TimeOfDay.parse(String(bounds[1]))
        else { throw .invalidWorkingHours(hours) }
        guard opens < closes else { throw .workingHoursOutOfOrder(opens: opens, closes: closes) }
        return WorkingCalendar(days: workingDays, opens: opens, closes: closes, timeZone: try parseTimeZone(timeZone))
    }

    private static func parseDays(_ text: String) throws(SLAConfigurationError) -> Set<Int> {
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { throw .noWorkingDays }
        func weekday(_ text: Substring) -> Int? {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            guard trimmed.count == 1, let day = Int(trimmed), (1...7).contains(day) else { return nil }
            return day
        }
        var result: Set<Int> = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let ends = item.split(separator: "-", omittingEmptySubsequences: false)
            switch ends.count {
            case 1:
                guard let day = weekday(ends[0]) else { throw .invalidWorkingDays(text) }
                result.insert(day)
            case 2:
                guard let first = weekday(ends[0]), let last = weekday(ends[1]), first <= last else {
                    throw .invalidWorkingDays(text)
                }
                result.formUnion(first...last)
            default:
                throw .invalidWorkingDays(text)
            }
        }
        return result
    }
}

/// A triage schedule or working calendar that cannot be used; the service refuses to start.
public enum SLAConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidTime(String)
    case noTriageTimes
    case duplicateTriageTime(TimeOfDay)
    case unknownTimeZone(String)
    case noWorkingDays
    case invalidWorkingDays(String)
    case invalidWorkingHours(String)
    case workingHoursOutOfOrder(opens: TimeOfDay, closes: TimeOfDay)

    public var description: String {
        switch self {
        case .invalidTime(let text):
            "\"\(text)\" is not a time of day; expected HH:MM between 00:00 and 23:59"
        case .noTriageTimes:
            "no triage times are configured; expected a list such as \"09:00,15:00\""
        case .duplicateTriageTime(let time):
            "triage time \(time) is listed more than once"
        case .unknownTimeZone(let text):
            "\"\(text)\" is not a known time zone; expected an IANA name such as \"Europe/Moscow\""
        case .noWorkingDays:
            "no working days are configured; expected ISO weekdays such as \"1-5\" (1 = Monday … 7 = Sunday)"
        case .invalidWorkingDays(let text):
            "\"\(text)\" is not a list of working days; expected ISO weekdays such as \"1-5\" or \"1,2,3,4,5\" (1 = Monday … 7 = Sunday)"
        case .invalidWorkingHours(let text):
            "\"\(text)\" is not a working-hours range; expected HH:MM-HH:MM such as \"09:00-18:00\""
        case .workingHoursOutOfOrder(let opens, let closes):
            "working hours open at \(opens) but close at \(closes); the opening time must be before the closing time"
        }
    }
}

private func parseTimeZone(_ text: String) throws(SLAConfigurationError) -> TimeZone {
    let identifier = text.trimmingCharacters(in: .whitespaces)
    guard !identifier.isEmpty, let zone = TimeZone(identifier: identifier) else { throw .unknownTimeZone(text) }
    return zone
}

extension Calendar {
    fileprivate static func gregorian(in timeZone: TimeZone) -> Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar
    }
}

/// A calendar day in the office's zone, as a day count since 1970-01-01. Stepping through days
/// by plain arithmetic never meets a DST gap (some zones have skipped midnight itself, so
/// "start of day + 24 h" is not the next day).
struct LocalDay: Hashable, Sendable {
    var number: Int

    init(number: Int) { self.number = number }

    init(year: Int, month: Int, day: Int) {
        // Howard Hinnant's days_from_civil: proleptic Gregorian, exact for any year.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        number = era * 146_097 + dayOfEra - 719_468
    }

    init(containing date: Date, in calendar: Calendar) {
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        guard let year = parts.year, let month = parts.month, let day = parts.day else {
            preconditionFailure("a Gregorian calendar always has a year, month and day")
        }
        self.init(year: year, month: month, day: day)
    }

    var next: LocalDay { LocalDay(number: number + 1) }

    /// 1 = Monday … 7 = Sunday; day 0 was a Thursday.
    var isoWeekday: Int { ((number + 3) % 7 + 7) % 7 + 1 }

    /// Year, month and day (Hinnant's civil_from_days).
    var civil: (year: Int, month: Int, day: Int) {
        let z = number + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// The moment the office's clocks show `time` on this day. Foundation resolves DST edge
    /// cases: a skipped time moves forward by the gap, a repeated one is its first occurrence.
    func instant(at time: TimeOfDay, in calendar: Calendar) -> Date {
        let (year, month, day) = civil
        let wallClock = DateComponents(year: year, month: month, day: day, hour: time.hour, minute: time.minute)
        guard let date = calendar.date(from: wallClock) else {
            preconditionFailure("a Gregorian calendar has every day and time of day: \(wallClock)")
        }
        return date
    }
}
