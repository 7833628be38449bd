/*
 * Exit-reason constants of kernels newer than the build host's uapi headers
 * (Linux 6.18: arch/x86/include/uapi/asm/vmx.h, svm.h,
 * include/uapi/linux/kvm.h, arch/arm64/include/asm/esr.h), in the same
 * "#define NAME VALUE" form, read by gen-exit-tables.sh next to the
 * installed headers. arm64's esr.h is not a uapi header, so all of it is here.
 */
#define EXIT_REASON_TDCALL              77
#define EXIT_REASON_MSR_READ_IMM        84
#define EXIT_REASON_MSR_WRITE_IMM       85
#define SVM_EXIT_BUS_LOCK      0x0a5
#define SVM_EXIT_IDLE_HLT      0x0a6
#define KVM_EXIT_LOONGARCH_IOCSR  38
#define KVM_EXIT_MEMORY_FAULT     39
#define KVM_EXIT_TDX              40
#define KVM_EXIT_ARM_SEA          41
#define ESR_ELx_EC_UNKNOWN	(0x00)
#define ESR_ELx_EC_WFx		(0x01)
#define ESR_ELx_EC_CP15_32	(0x03)
#define ESR_ELx_EC_CP15_64	(0x04)
#define ESR_ELx_EC_CP14_MR	(0x05)
#define ESR_ELx_EC_CP14_LS	(0x06)
#define ESR_ELx_EC_FP_ASIMD	(0x07)
#define ESR_ELx_EC_CP10_ID	(0x08)
#define ESR_ELx_EC_PAC		(0x09)
#define ESR_ELx_EC_OTHER	(0x0A)
#define ESR_ELx_EC_CP14_64	(0x0C)
#define ESR_ELx_EC_BTI		(0x0D)
#define ESR_ELx_EC_ILL		(0x0E)
#define ESR_ELx_EC_SVC32	(0x11)
#define ESR_ELx_EC_HVC32	(0x12)
#define ESR_ELx_EC_SMC32	(0x13)
#define ESR_ELx_EC_SVC64	(0x15)
#define ESR_ELx_EC_HVC64	(0x16)
#define ESR_ELx_EC_SMC64	(0x17)
#define ESR_ELx_EC_SYS64	(0x18)
#define ESR_ELx_EC_SVE		(0x19)
#define ESR_ELx_EC_ERET		(0x1a)
#define ESR_ELx_EC_FPAC		(0x1C)
#define ESR_ELx_EC_SME		(0x1D)
#define ESR_ELx_EC_IMP_DEF	(0x1f)
#define ESR_ELx_EC_IABT_LOW	(0x20)
#define ESR_ELx_EC_IABT_CUR	(0x21)
#define ESR_ELx_EC_PC_ALIGN	(0x22)
#define ESR_ELx_EC_DABT_LOW	(0x24)
#define ESR_ELx_EC_DABT_CUR	(0x25)
#define ESR_ELx_EC_SP_ALIGN	(0x26)
#define ESR_ELx_EC_MOPS		(0x27)
#define ESR_ELx_EC_FP_EXC32	(0x28)
#define ESR_ELx_EC_FP_EXC64	(0x2C)
#define ESR_ELx_EC_GCS		(0x2D)
#define ESR_ELx_EC_SERROR	(0x2F)
#define ESR_ELx_EC_BREAKPT_LOW	(0x30)
#define ESR_ELx_EC_BREAKPT_CUR	(0x31)
#define ESR_ELx_EC_SOFTSTP_LOW	(0x32)
#define ESR_ELx_EC_SOFTSTP_CUR	(0x33)
#define ESR_ELx_EC_WATCHPT_LOW	(0x34)
#define ESR_ELx_EC_WATCHPT_CUR	(0x35)
#define ESR_ELx_EC_BKPT32	(0x38)
#define ESR_ELx_EC_VECTOR32	(0x3A)
#define ESR_ELx_EC_BRK64	(0x3C)
#define ESR_ELx_EC_MAX		(0x3F)
